"""Running one submission in a sandboxed worker process, from the grader's side.

Used by the exercises of every chapter (``course-rnn grade`` and ``course-rnn release``);
the instructors' page of chapter 0 says what is isolated on which system.

The worker (``_worker.py``) is started as ``python -I -S`` (no site, no ``.pth`` files,
no ``PYTHON*`` variables) with an explicit ``sys.path``: the standard library and a
folder of links to numpy only, so ``course_rnn`` cannot be imported. It starts in a
new session, in a fresh temporary folder, with a clean environment, and before running
any submitted code it limits itself:

================  ==========================================================
Linux, as root    resource limits (CPU, address space, file size, open files,
                  processes = 1); Landlock (reads: standard library, numpy,
                  system libraries; writes: its folder only; no exec; no TCP;
                  no signals outside) when the kernel has it (5.13+, TCP 6.7+,
                  signals 6.12+); then it drops to a uid/gid of its own (one per
                  parallel slot, so RLIMIT_NPROC is enforced and no worker can
                  signal another).
Linux, a user     the same without the uid change (RLIMIT_NPROC = 1 still
                  forbids any fork, since the user already runs processes).
macOS             resource limits only (the address-space limit is not enforced
                  by macOS); no file-system isolation: the worker can read what
                  the user can. (Untested.)
Windows           not supported for grading (``check()`` works).
================  ==========================================================

Whatever the system, the grader enforces wall-clock limits per cell and per call,
kills the worker's whole process group (and, as root, every process of its uid),
reads at most a fixed number of bytes of results, and never unpickles anything.
"""

from __future__ import annotations

import json
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

WORKER = Path(__file__).with_name("_worker.py")
ALLOWED_PACKAGES = ("numpy",)
PRELOAD = ("numpy", "numpy.linalg", "numpy.random", "numpy.fft", "math", "cmath", "random",
           "itertools", "functools", "collections", "operator", "time", "string", "re", "copy",
           "dataclasses", "typing", "fractions", "decimal", "statistics")
LIB_ROOTS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib")
UID_BASE = 1_900_000_000
UID_SPAN = 1_000_000
GRACE = 1.0  # seconds the grader waits past a cooperative time limit before killing


@dataclass
class Limits:
    """The limits of one worker process (defaults fit one chapter's exercises)."""

    cell_timeout: float = 10.0
    call_timeout: float = 5.0
    budget: float = 60.0  # wall-clock seconds for a whole submission, restarts included
    memory_mb: int = 1536
    fsize_mb: int = 16
    nofile: int = 64
    max_result_mb: int = 64
    startup_timeout: float = 30.0
    landlock: bool = True

    @classmethod
    def for_assignment(cls, config: dict, overrides: dict | None = None) -> Limits:
        """Defaults, then the ``# ASSIGNMENT`` cell's settings, then ``overrides`` (the CLI)."""
        fields = set(cls.__dataclass_fields__)
        given = {k: v for k, v in dict(config).items() if k in fields}
        given.update({k: v for k, v in dict(overrides or {}).items() if v is not None})
        return cls(**given)

    def rlimits(self) -> dict:
        """The resource limits the worker sets on itself."""
        return {"cpu_s": int(self.budget) + 1, "memory_mb": self.memory_mb,
                "fsize_mb": self.fsize_mb, "nofile": self.nofile, "nproc": 1, "core": 0}


# ----------------------------------------------------------------------------- paths


_PATHS_CACHE: dict = {}


def interpreter_paths(python: str = sys.executable) -> list[str]:
    """``sys.path`` of ``python -I -S``: the standard library only (cached)."""
    if python not in _PATHS_CACHE:
        code = "import sys, json; print(json.dumps(sys.path))"
        out = subprocess.run([python, "-I", "-S", "-c", code], capture_output=True, text=True,
                             check=True, timeout=60)
        _PATHS_CACHE[python] = [p for p in json.loads(out.stdout) if p]
    return _PATHS_CACHE[python]


def package_dirs(names=ALLOWED_PACKAGES) -> list[Path]:
    """The folders of the allowed packages and their bundled libraries (``numpy.libs``)."""
    dirs = []
    for name in names:
        mod = __import__(name)
        pkg = Path(mod.__file__).resolve().parent
        dirs.append(pkg)
        for extra in (pkg.parent / f"{name}.libs", pkg.parent / f".{name}.libs"):
            if extra.is_dir():
                dirs.append(extra.resolve())
    return dirs


def make_site_farm(where: Path) -> Path:
    """A folder of links to the allowed packages only: the worker's site-packages.

    Should links fail, the packages' own parent folder is used, and ``course_rnn`` may
    then be importable when it is installed there (not when installed in editable mode,
    as in this repository).
    """
    farm = where / "site"
    farm.mkdir(parents=True, exist_ok=True)
    try:
        for d in package_dirs():
            link = farm / d.name
            if not link.exists():
                link.symlink_to(d, target_is_directory=True)
    except OSError:
        return package_dirs()[0].parent
    return farm


def _entries(root: str, exclude) -> list[str]:
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    return [os.path.join(root, n) for n in names if not exclude(n)]


def landlock_paths(python_paths: list[str], farm: Path) -> list[str]:
    """What the worker may read under Landlock: standard library, numpy, system libraries.

    Rules in Landlock cover everything beneath a folder, so folders that contain a
    ``site-packages`` (the standard library's own, ``/usr/lib``, ``/usr/local/lib``)
    are granted entry by entry, leaving out ``site-packages``, ``dist-packages`` and
    ``python*`` folders other than the standard library itself.
    """
    read = [str(farm)] + [str(d) for d in package_dirs()]
    stdlib_dirs = []
    for p in python_paths:
        rp = os.path.realpath(p)
        if os.path.isfile(rp):
            read.append(rp)
        elif os.path.isfile(os.path.join(rp, "os.py")):
            stdlib_dirs.append(rp)
            read.append(rp + "/")  # the folder itself (listing), then its entries
            read += _entries(rp, lambda n: n in ("site-packages", "dist-packages"))
        elif os.path.isdir(rp):
            read.append(rp)
    roots = {os.path.realpath(r) for r in LIB_ROOTS}
    roots.add(os.path.realpath(os.path.join(sys.base_prefix, "lib")))
    for root in sorted(roots):
        read += [p for p in _entries(root, lambda n: n.startswith("python"))
                 if os.path.realpath(p) not in stdlib_dirs]
    read.append("/etc/ld.so.cache")
    return read


def dir_only(path: str) -> bool:
    """Paths ending in '/' are granted as a listing of the folder only (see the worker)."""
    return path.endswith("/")


# ----------------------------------------------------------------------------- uids


class Slots:
    """One slot per parallel worker; as root, each slot is a uid/gid of its own."""

    def __init__(self, n: int):
        self.root = hasattr(os, "geteuid") and os.geteuid() == 0 and hasattr(os, "setresuid")
        base = UID_BASE + random.SystemRandom().randrange(0, UID_SPAN // 1024) * 1024
        self.q: queue.Queue = queue.Queue()
        for i in range(n):
            self.q.put(base + i if self.root else None)

    def take(self):
        """Wait for a free slot; returns its uid (None when not running as root)."""
        return self.q.get()

    def give(self, uid) -> None:
        """Return a slot."""
        self.q.put(uid)


def kill_uid(uid: int) -> int:
    """SIGKILL every process whose real uid is ``uid`` (Linux /proc); returns how many."""
    killed = 0
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            os.kill(pid, signal.SIGKILL)
                            killed += 1
                        break
        except (OSError, ValueError):
            continue
    return killed


# ----------------------------------------------------------------------------- one run


@dataclass
class RunResult:
    """What one worker run produced, and how it ended."""

    cells: dict = field(default_factory=dict)  # cell index -> error dict or None
    results: dict = field(default_factory=dict)  # call id -> message
    finished: bool = False
    started: bool = False
    current: tuple | None = None  # ("cell", i) or ("call", id): the last thing begun
    end: str = ""  # "", "timeout", "killed", "exited", "channel", "output_flood", "startup"
    end_info: dict = field(default_factory=dict)
    sandbox: dict = field(default_factory=dict)
    stdout: str = ""
    stdout_chars: int = 0
    stderr: str = ""
    seconds: float = 0.0


class Sandbox:
    """Starts workers for one grading run: the site folder, the paths, the uid slots."""

    def __init__(self, limits: Limits | None = None, jobs: int = 1, python: str = sys.executable):
        if os.name != "posix":
            raise RuntimeError("grading needs Linux or macOS (the worker gets its result pipe, "
                               "time limits and process group the POSIX way); check() works "
                               "everywhere")
        self.limits = limits or Limits()
        self.python = python
        self.home = Path(tempfile.mkdtemp(prefix="course-rnn-sandbox-"))
        os.chmod(self.home, 0o755)
        self.farm = make_site_farm(self.home)
        self.paths = [*interpreter_paths(python), str(self.farm)]
        self.read_paths = landlock_paths(self.paths, self.farm) if sys.platform.startswith(
            "linux") else []
        self.slots = Slots(jobs)

    def close(self) -> None:
        """Remove the site folder."""
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def run(self, cells: list, calls: list, skip=(), deadline: float | None = None) -> RunResult:
        """Run the cells then the calls in one worker; return what came back."""
        uid = self.slots.take()
        try:
            return self._run(cells, calls, skip, uid, deadline)
        finally:
            self.slots.give(uid)

    def _run(self, cells, calls, skip, uid, deadline) -> RunResult:
        lim = self.limits
        res = RunResult()
        start = time.monotonic()
        final = deadline if deadline is not None else start + lim.budget
        tmp = Path(tempfile.mkdtemp(prefix="course-rnn-work-"))
        if uid is not None:
            os.chown(tmp, uid, uid)
        sandbox = {"path": self.paths, "preload": list(PRELOAD), "workdir": str(tmp)}
        if uid is not None:
            sandbox.update(uid=uid, gid=uid)
        if lim.landlock and self.read_paths:
            sandbox["landlock"] = {"read": self.read_paths, "write": [str(tmp)]}
        request = {"cells": cells, "skip": sorted(skip), "calls": calls,
                   "cell_timeout": lim.cell_timeout, "limits": lim.rlimits(), "sandbox": sandbox}
        data = json.dumps(request).encode("utf-8")
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "TMPDIR": str(tmp), "LANG": "C.UTF-8",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        r, w = os.pipe()
        err = tempfile.TemporaryFile()
        try:
            proc = subprocess.Popen(
                [self.python, "-I", "-S", "-X", "utf8", str(WORKER), str(w)],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err, cwd=tmp, env=env,
                pass_fds=(w,), close_fds=True, start_new_session=True)
        except OSError as exc:
            os.close(r)
            os.close(w)
            err.close()
            shutil.rmtree(tmp, ignore_errors=True)
            res.end, res.end_info = "startup", {"detail": str(exc)}
            return res
        os.close(w)
        events: queue.Queue = queue.Queue()
        cap = lim.max_result_mb * 2**20
        threading.Thread(target=_feed, args=(proc, data), daemon=True).start()
        reader = threading.Thread(target=_read_events, args=(r, events, cap), daemon=True)
        reader.start()
        timeouts = {c["id"]: float(c.get("timeout", lim.call_timeout)) for c in calls}
        phase_deadline = min(start + lim.startup_timeout, final)
        try:
            while True:
                wait = phase_deadline - time.monotonic()
                if wait <= 0:
                    res.end = "startup" if not res.started else "timeout"
                    if time.monotonic() >= final and res.started:
                        res.end = "budget"
                    break
                try:
                    kind, ev = events.get(timeout=wait)
                except queue.Empty:
                    continue
                if kind == "eof":
                    break
                if kind in ("bad", "flood"):
                    res.end = "channel" if kind == "bad" else "output_flood"
                    break
                now = time.monotonic()
                name = ev.get("ev")
                if name == "ready" and not res.started:
                    res.started = True
                    res.sandbox = ev.get("sandbox", {})
                    phase_deadline = min(now + lim.startup_timeout, final)
                elif name == "fatal" and not res.started:
                    res.end, res.end_info = "startup", {"detail": str(ev.get("message"))[:300]}
                    break
                elif not res.started:
                    res.end = "channel"
                    break
                elif name == "cell" and isinstance(ev.get("i"), int):
                    res.current = ("cell", ev["i"])
                    phase_deadline = min(now + lim.cell_timeout + GRACE, final)
                elif name == "cell_end" and res.current == ("cell", ev.get("i")):
                    res.cells[ev["i"]] = ev.get("error")
                    phase_deadline = min(now + lim.startup_timeout, final)
                elif name == "call" and ev.get("id") in timeouts:
                    res.current = ("call", ev["id"])
                    phase_deadline = min(now + timeouts[ev["id"]] + GRACE, final)
                elif name == "result" and res.current == ("call", ev.get("id")):
                    res.results.setdefault(ev["id"], ev)
                    phase_deadline = min(now + lim.startup_timeout, final)
                elif name == "done":
                    if calls and (res.current is None or res.current[0] != "call"):
                        res.end = "channel"  # written by the submission, not by the worker
                        break
                    res.finished = True
                    res.stdout = str(ev.get("stdout", ""))[:4096]
                    res.stdout_chars = int(ev.get("stdout_chars", 0) or 0)
                    break
        finally:
            _kill(proc, uid)
            reader.join(timeout=5)  # the reader closes the pipe itself: no fd reused under it
            res.seconds = time.monotonic() - start
            if not res.finished and not res.end:
                code = proc.returncode
                if code is not None and code < 0:
                    sig = -code
                    res.end = "cpu" if sig == getattr(signal, "SIGXCPU", -1) else "killed"
                    res.end_info = {"signal": signal.Signals(sig).name if sig in
                                    signal.Signals._value2member_map_ else sig}
                else:
                    res.end, res.end_info = "exited", {"code": code}
                if not res.started:
                    res.end_info = {"detail": f"{res.end} {res.end_info}"}
                    res.end = "startup"
            err.seek(0)
            res.stderr = err.read()[-2000:].decode("utf-8", "replace")
            err.close()
            shutil.rmtree(tmp, onerror=_force_remove)
        return res


def _feed(proc, data: bytes) -> None:
    try:
        proc.stdin.write(data)
        proc.stdin.close()
    except (BrokenPipeError, OSError, ValueError):
        pass


def _read_events(fd: int, events: queue.Queue, cap: int) -> None:
    try:
        _read_lines(fd, events, cap)
    finally:
        os.close(fd)


def _read_lines(fd: int, events: queue.Queue, cap: int) -> None:
    buf = b""
    total = 0
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:
            break
        if not chunk:
            break
        total += len(chunk)
        if total > cap:
            events.put(("flood", None))
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            try:
                ev = json.loads(line)
                if not isinstance(ev, dict):
                    raise ValueError
            except ValueError:
                events.put(("bad", None))
                return
            events.put(("event", ev))
    events.put(("eof", None))


def _kill(proc: subprocess.Popen, uid) -> None:
    """Kill the worker's whole process group (and, as root, every process of its uid)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if uid is not None and sys.platform.startswith("linux"):
        kill_uid(uid)


def _force_remove(func, path, exc_info):
    try:
        os.chmod(os.path.dirname(path), 0o700)
        os.chmod(path, 0o700)
        func(path)
    except OSError:
        pass
