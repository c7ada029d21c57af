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

Whatever the system, the grader kills the worker's whole process group (and, as root,
every process of its uid), reads at most a fixed number of bytes of results, and
never unpickles anything.

Limits are CPU time, so a grade does not depend on how busy the machine is. The
worker stops a cell or a test cooperatively when it has used its CPU seconds
(``ITIMER_PROF``); the grader kills a worker that ignores that and goes ``GRACE`` CPU
seconds further (it reads the worker's CPU time in ``/proc``); ``RLIMIT_CPU`` is the
hard stop for the whole submission's ``budget``. Each phase also has a wall-clock
backstop, ``backstop(t) = 3 t + 10`` seconds for ``t`` CPU seconds, which an idle
machine never reaches first: it only catches a worker that waits or sleeps.

**Results cannot be forged.** The worker and the grader talk in lock-step over two
pipes (requests in, events out): the grader sends the cells, then ONE call at a time
with a fresh random nonce, and accepts exactly one well-formed answer carrying that
call's id and nonce before it sends the next call (``_Conversation``). The worker
drops each call's data before it reads the next, so the hidden inputs of the other
tests are never in its memory while submitted code runs: submitted code can only
ever see the inputs of the test it is answering. Since submitted code shares the
worker's process, it can write on the result pipe (or patch the worker) - but the
only thing it could write that the grader accepts is an answer to the running call,
which is the same as returning a value; the comparison with the expected outputs
happens in the grader's process, with which the submission shares no memory. (One
field of an answer is the worker's own measurement, not a value: ``forward_calls``,
the count of the forward's calls during a backward step. A submission that patches
the worker can make it 0, so it only guards against a backward written as finite
differences; the tolerance against the reference gradients does not depend on it.) Every
accepted answer is rebuilt from checked fields (``clean_result``), so the judge only
ever sees the worker's own format. Anything else on the channel - an event nobody
asked for, a second answer, a wrong id or nonce, a malformed line, a flood, bytes
after the final event - ends the run as the submission's failure (``channel``,
``unreadable``, ``output_flood``), blamed on the cell or test that was running (a
second answer voids the first), never as the grader's error.
"""

from __future__ import annotations

import json
import math
import os
import queue
import random
import secrets
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
# What a submission may import, imported before the sandbox closes (as root the worker
# then runs as a uid that may not even read the standard library's folder): numpy and
# the standard library a learner reasonably uses; no network, no processes.
PRELOAD = ("numpy", "numpy.linalg", "numpy.random", "numpy.fft", "numpy.polynomial", "numpy.ma",
           "math", "cmath", "random", "itertools", "functools", "collections",
           "collections.abc", "operator", "time", "string", "re", "copy", "dataclasses", "typing",
           "fractions", "decimal", "statistics", "glob", "fnmatch", "hashlib", "json", "heapq",
           "bisect", "numbers", "enum", "textwrap", "array", "struct", "pprint", "datetime",
           "calendar", "contextlib", "abc", "warnings", "io", "base64", "binascii", "zlib",
           "difflib", "unicodedata", "csv", "types", "weakref", "keyword", "secrets", "queue")
# Imported only when a cell names them (each costs tens of milliseconds per worker).
PRELOAD_IF_NAMED = {"numpy.testing": ("testing",), "unittest": ("unittest",),
                    "doctest": ("doctest",), "inspect": ("inspect",)}
LIB_ROOTS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib")
UID_BASE = 1_900_000_000
UID_SPAN = 1_000_000
GRACE = 1.0  # CPU seconds the grader allows past a cooperative limit before killing
BACKSTOP_FACTOR, BACKSTOP_EXTRA = 3.0, 10.0  # wall clock allowed for t CPU seconds: 3 t + 10 s
CPU_POLL = 0.1  # seconds between two readings of a worker's CPU time, once it may be over
STEP_KINDS = ("missing", "not_callable", "returns")  # _worker.StepError kinds


@dataclass
class Limits:
    """The limits of one worker process (defaults fit one chapter's exercises)."""

    cell_timeout: float = 10.0  # CPU seconds per cell
    call_timeout: float = 5.0  # CPU seconds per test
    budget: float = 60.0  # CPU seconds for a whole submission, restarts included
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

    def rlimits(self, cpu_budget: float | None = None) -> dict:
        """The resource limits the worker sets on itself (``cpu_budget``: CPU seconds left)."""
        cpu = self.budget if cpu_budget is None else cpu_budget
        return {"cpu_s": math.ceil(cpu + GRACE), "memory_mb": self.memory_mb,
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


def preload_for(cells: list) -> list[str]:
    """The modules the worker imports before it closes the sandbox, for these cells."""
    text = "\n".join(c for c in cells if isinstance(c, str))
    extra = [m for m, words in PRELOAD_IF_NAMED.items() if any(w in text for w in words)]
    return list(dict.fromkeys([*PRELOAD, *extra]))


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
    results: dict = field(default_factory=dict)  # call id -> message (checked, rebuilt)
    finished: bool = False
    started: bool = False
    current: tuple | None = None  # ("cell", i) or ("call", id): what the failure is blamed on
    end: str = ""  # "", "timeout", "killed", "cpu", "exited", "channel", "unreadable",
    #                "output_flood", "budget", "startup"
    end_info: dict = field(default_factory=dict)
    after_done: str = ""  # "channel"/"unreadable": something came after the final event
    sandbox: dict = field(default_factory=dict)
    stdout: str = ""
    stdout_chars: int = 0
    stderr: str = ""
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds the worker used (user + system)


def backstop(cpu_seconds: float) -> float:
    """The wall-clock seconds the grader allows for ``cpu_seconds`` of CPU time."""
    return BACKSTOP_FACTOR * float(cpu_seconds) + BACKSTOP_EXTRA


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by process ``pid``; None if unknown (no /proc)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        fields = data[data.rindex(b")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / _CLK_TCK
    except (OSError, ValueError, IndexError):
        return None


class _Phase:
    """What the grader waits for now, with its limits: CPU seconds and a wall-clock backstop."""

    def __init__(self, pid: int, cpu_limit: float | None, wall: float, final: float):
        now = time.monotonic()
        self.cpu_limit = cpu_limit
        self.started = now
        self.wall_deadline = min(now + wall, final)
        self.cpu0 = process_cpu(pid) if cpu_limit is not None else None

    def over_cpu(self, pid: int) -> bool:
        """Whether the worker ran past this phase's CPU limit (plus the grace) without stopping."""
        if self.cpu_limit is None or self.cpu0 is None:
            return False
        if time.monotonic() - self.started < self.cpu_limit + GRACE:
            return False  # one thread cannot have used more CPU than that yet
        cpu = process_cpu(pid)
        return cpu is not None and cpu - self.cpu0 > self.cpu_limit + GRACE


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

    def run(self, cells: list, calls: list, skip=(), deadline: float | None = None,
            cpu_budget: float | None = None) -> RunResult:
        """Run the cells then the calls in one worker; return what came back.

        ``deadline`` (``time.monotonic()``) is the wall-clock backstop of the whole
        submission; ``cpu_budget`` the CPU seconds it has left (default: ``budget``).
        """
        uid = self.slots.take()
        try:
            return self._run(cells, calls, skip, uid, deadline, cpu_budget)
        finally:
            self.slots.give(uid)

    def _run(self, cells, calls, skip, uid, deadline, cpu_budget) -> RunResult:
        lim = self.limits
        res = RunResult()
        start = time.monotonic()
        cpu_budget = lim.budget if cpu_budget is None else max(float(cpu_budget), 0.0)
        final = deadline if deadline is not None else start + backstop(cpu_budget)
        tmp = Path(tempfile.mkdtemp(prefix="course-rnn-work-"))
        if uid is not None:
            os.chown(tmp, uid, uid)
        sandbox = {"path": self.paths, "preload": preload_for(cells), "workdir": str(tmp)}
        if uid is not None:
            sandbox.update(uid=uid, gid=uid)
        if lim.landlock and self.read_paths:
            sandbox["landlock"] = {"read": self.read_paths, "write": [str(tmp)]}
        header = {"cells": cells, "skip": sorted(skip), "cell_timeout": lim.cell_timeout,
                  "limits": lim.rlimits(cpu_budget), "sandbox": sandbox}
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "TMPDIR": str(tmp), "LANG": "C.UTF-8",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        r, w = os.pipe()  # results: worker -> grader
        qr, qw = os.pipe()  # requests: grader -> worker
        err = tempfile.TemporaryFile()
        try:
            proc = subprocess.Popen(
                [self.python, "-I", "-S", "-X", "utf8", str(WORKER), str(w), str(qr)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, cwd=tmp,
                env=env, pass_fds=(w, qr), close_fds=True, start_new_session=True)
        except OSError as exc:
            for fd in (r, w, qr, qw):
                os.close(fd)
            err.close()
            shutil.rmtree(tmp, ignore_errors=True)
            res.end, res.end_info = "startup", {"detail": str(exc)}
            return res
        os.close(w)
        os.close(qr)
        events: queue.Queue = queue.Queue()
        cap = lim.max_result_mb * 2**20
        writer = _Writer(qw)
        writer.send(header)
        del header
        reader = threading.Thread(target=_read_events, args=(r, events, cap), daemon=True)
        reader.start()
        talk = _Conversation(self, res, proc.pid, writer, cells, calls, skip, final, cpu_budget)
        try:
            talk.loop(events)
        finally:
            writer.close()
            res.cpu = _kill(proc, uid)
            reader.join(timeout=5)  # the reader closes the pipe itself: no fd reused under it
            if res.finished:
                res.after_done = _leftover(events)
            res.seconds = time.monotonic() - start
            if not res.finished and not res.end:
                code = proc.returncode
                if res.started and res.cpu >= cpu_budget - 0.05:
                    res.end, res.end_info = "budget", {"seconds": cpu_budget}
                elif code is not None and code < 0:
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


class _Conversation:
    """The grader's side of the lock-step protocol with one worker (see ``_worker.main``).

    At every moment exactly one event is acceptable: ``ready``; then ``cell i`` and
    ``cell_end i`` for each cell in order; then, for the one call the grader has just
    sent, its ``result`` with that call's id and nonce; then, after ``end``, ``done``
    with its nonce. Anything else ends the run as the submission's failure.
    """

    def __init__(self, box, res, pid, writer, cells, calls, skip, final, cpu_budget):
        self.lim = box.limits
        self.res = res
        self.pid = pid
        self.writer = writer
        self.final = final
        self.cpu_budget = cpu_budget
        self.cells = [i for i in range(len(cells)) if i not in set(skip)]
        self.calls = list(calls)
        self.timed_out: set = set()
        self.call = None
        self.nonce = ""
        self.state = "startup"
        self.phase = _Phase(pid, None, self.lim.startup_timeout, final)

    # -- what the grader sends

    def advance(self) -> None:
        """Expect the next cell, or send the next call (or the end)."""
        lim, res = self.lim, self.res
        if self.cells:
            self.state = "cell_wait"
            self.phase = _Phase(self.pid, lim.cell_timeout, backstop(lim.cell_timeout),
                                self.final)
            return
        while self.calls:
            call = self.calls.pop(0)
            question = call["id"].split("/")[0]
            if question in self.timed_out:  # an earlier test of it ran out of time
                timeout = float(call.get("timeout", lim.call_timeout))
                res.results[call["id"]] = {
                    "ev": "result", "id": call["id"],
                    "error": {"type": "Timeout", "message": f"{timeout:g} s", "cpu": True,
                              "skipped": True}}
                continue
            self.call = call
            self.nonce = secrets.token_hex(16)
            self.state = "call"
            res.current = ("call", call["id"])
            timeout = float(call.get("timeout", lim.call_timeout))
            self.phase = _Phase(self.pid, timeout, backstop(timeout), self.final)
            self.writer.send({"call": call, "nonce": self.nonce})
            return
        self.call = None
        self.nonce = secrets.token_hex(16)
        self.state = "end"
        self.phase = _Phase(self.pid, lim.cell_timeout, backstop(lim.cell_timeout), self.final)
        self.writer.send({"end": self.nonce})

    # -- what the grader receives

    def loop(self, events: queue.Queue) -> None:
        """Wait for events until the run is over (finished, failed or out of time)."""
        res = self.res
        while True:
            now = time.monotonic()
            if now >= self.phase.wall_deadline:
                self.out_of_time(cpu=False)
                return
            wait = min(self.phase.wall_deadline - now, CPU_POLL)
            try:
                kind, ev = events.get(timeout=wait)
            except queue.Empty:
                if self.phase.over_cpu(self.pid):
                    self.out_of_time(cpu=True)
                    return
                continue
            if kind == "eof":
                return
            if kind == "flood":
                res.end = "output_flood"
                return
            if kind == "bad":
                self.violation("unreadable", None)
                return
            if not self.accept(ev):
                return
            if res.finished:
                return

    def out_of_time(self, cpu: bool) -> None:
        res = self.res
        if not res.started:
            res.end = "startup"
            res.end_info = {"detail": "the worker did not start in time"}
        elif time.monotonic() >= self.final:
            res.end, res.end_info = "budget", {"seconds": self.cpu_budget, "wall": True}
        else:
            limit = self.phase.cpu_limit
            res.end, res.end_info = "timeout", {"seconds": limit, "cpu": cpu}

    def violation(self, what: str, ev) -> None:
        """Something the grader did not ask for: the run ends, blamed on the submission."""
        res = self.res
        if not res.started:
            res.end, res.end_info = "startup", {"detail": f"unexpected event before ready: "
                                                          f"{str(ev)[:200]}"}
            return
        res.end = what
        if isinstance(ev, dict) and ev.get("ev") == "result":
            cid = ev.get("id")
            if isinstance(cid, str) and cid in res.results and not res.results[cid].get(
                    "error", {}).get("skipped"):
                # a second answer to a call already answered: that answer is void
                del res.results[cid]
                res.current = ("call", cid)

    def accept(self, ev: dict) -> bool:
        """Take one event; False when the run is over."""
        res, lim = self.res, self.lim
        name = ev.get("ev")
        if self.state == "startup":
            if name == "ready" and isinstance(ev.get("sandbox"), dict):
                res.started = True
                res.sandbox = ev["sandbox"]
                self.advance()
                return True
            if name == "fatal":
                res.end, res.end_info = "startup", {"detail": str(ev.get("message"))[:300]}
                return False
            self.violation("channel", ev)
            return False
        if self.state == "cell_wait" and name == "cell" and ev.get("i") == self.cells[0] and \
                len(ev) == 2:
            self.state = "cell_run"
            res.current = ("cell", self.cells[0])
            self.phase = _Phase(self.pid, lim.cell_timeout, backstop(lim.cell_timeout),
                                self.final)
            return True
        if self.state == "cell_run" and name == "cell_end" and ev.get("i") == self.cells[0]:
            error = ev.get("error")
            if error is not None:
                error = clean_error(error, f"{lim.cell_timeout:g} s of CPU time")
                if error is None or set(ev) != {"ev", "i", "error"}:
                    self.violation("unreadable", ev)
                    return False
            res.cells[self.cells.pop(0)] = error
            self.advance()
            return True
        if self.state == "call" and name == "result" and ev.get("id") == self.call["id"] and \
                ev.get("nonce") == self.nonce:
            msg = clean_result(self.call, ev, self.lim.call_timeout)
            if msg is None:
                self.violation("unreadable", ev)
                return False
            res.results[self.call["id"]] = msg
            if msg.get("error", {}).get("type") == "Timeout":
                self.timed_out.add(self.call["id"].split("/")[0])
            self.advance()
            return True
        if self.state == "end" and name == "done" and ev.get("nonce") == self.nonce:
            stdout, chars = ev.get("stdout"), ev.get("stdout_chars")
            if not isinstance(stdout, str) or not isinstance(chars, int) or chars < 0:
                self.violation("unreadable", ev)
                return False
            res.finished = True
            res.stdout = stdout[:4096]
            res.stdout_chars = chars
            return True
        self.violation("channel", ev)
        return False


# ----------------------------------------------------------------------------- checking


def _text(value, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def clean_error(err, timeout_message: str) -> dict | None:
    """An error reported by the worker, rebuilt from checked fields only; None if malformed."""
    if not isinstance(err, dict) or not isinstance(err.get("type"), str):
        return None
    out = {"type": err["type"][:100], "message": _text(err.get("message", ""), 500)}
    if out["message"] is None:
        return None
    where = err.get("where")
    if where is not None:
        if not isinstance(where, dict):
            return None
        line = where.get("line")
        out["where"] = {"cell": _text(where.get("cell"), 100),
                        "line": line if isinstance(line, int) and not isinstance(line, bool)
                        else None,
                        "code": _text(where.get("code"), 200) or "",
                        "function": _text(where.get("function"), 100)}
    if out["type"] == "Timeout":
        out["message"] = timeout_message  # the grader's own figure, not the worker's
        out["cpu"] = True
    elif out["type"] == "StepError":
        kind, fn = err.get("kind"), err.get("function")
        if kind not in STEP_KINDS or not isinstance(fn, str):
            return None
        out.update(kind=kind, function=fn[:100])
        expected = err.get("expected")
        if expected is not None:
            if not isinstance(expected, list) or not all(isinstance(e, str) for e in expected):
                return None
            out["expected"] = [e[:100] for e in expected[:64]]
        got = err.get("got")
        if got is not None:
            out["got"] = got if isinstance(got, int) and not isinstance(got, bool) else "?"
        if isinstance(err.get("type_name"), str):
            out["type_name"] = err["type_name"][:100]
    return out


def valid_value(enc, depth: int = 0) -> bool:
    """Whether an encoded output has the form ``_worker.encode`` gives (nothing deeper)."""
    if not isinstance(enc, dict) or not isinstance(enc.get("t"), str):
        return False
    t = enc["t"]
    if t == "array":
        shape = enc.get("shape")
        return (isinstance(enc.get("dtype"), str) and isinstance(enc.get("data"), str)
                and isinstance(shape, list) and len(shape) <= 32
                and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                        for n in shape))
    if t == "tuple":
        items = enc.get("items")
        return (depth == 0 and isinstance(items, list) and len(items) <= 64
                and all(valid_value(i, 1) for i in items))
    if t == "str":
        return isinstance(enc.get("v"), str) and len(enc["v"]) <= 4096
    return t in ("none", "ellipsis", "missing", "too_large", "object")


def _input_size(call: dict, name: str) -> int | None:
    enc = call.get("inputs", {}).get(name)
    if not isinstance(enc, dict) or enc.get("t") != "array":
        return None
    size = 1
    for n in enc["shape"]:
        size *= int(n)
    return size


def clean_result(call: dict, ev: dict, call_timeout: float) -> dict | None:
    """A ``result`` event for ``call``, rebuilt from checked fields only; None if malformed.

    What the judge receives is therefore always of the form the worker sends: outputs
    named as the call asked, each an encoded value, probes with one entry per moved
    input; a message that is not is the submission's doing, never the grader's error.
    """
    allowed = {"ev", "id", "nonce", "outputs", "error", "probe", "seconds", "forward_calls"}
    if set(ev) - allowed or ("outputs" in ev) == ("error" in ev):
        return None
    msg = {"ev": "result", "id": call["id"]}
    seconds = ev.get("seconds")
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
        msg["seconds"] = float(seconds)
    timeout = float(call.get("timeout", call_timeout))
    if "error" in ev:
        if "probe" in ev:
            return None
        error = clean_error(ev["error"], f"{timeout:g} s")
        if error is None:
            return None
        msg["error"] = error
        return msg
    outputs = ev["outputs"]
    names = {call["name"]} if call.get("kind") == "variable" else set(call.get("send", []))
    if not isinstance(outputs, dict) or set(outputs) != names or not all(
            valid_value(v) for v in outputs.values()):
        return None
    msg["outputs"] = outputs
    spec = call.get("probe")
    if spec:
        probe = ev.get("probe")
        outs, wrt = set(spec["out"]), list(spec["wrt"])
        if not isinstance(probe, dict) or set(probe) != {"base", "moved"}:
            return None
        base, moved = probe["base"], probe["moved"]
        if not isinstance(base, dict) or set(base) != outs or not all(
                valid_value(v) for v in base.values()):
            return None
        if not isinstance(moved, dict) or set(moved) != outs:
            return None
        for per in moved.values():
            if not isinstance(per, dict) or set(per) != set(wrt):
                return None
            for w, values in per.items():
                size = _input_size(call, w)
                if size is None or not isinstance(values, list) or len(values) != 2 * size:
                    return None
                if not all(valid_value(v) for v in values):
                    return None
        msg["probe"] = {"base": base, "moved": moved}
        calls = ev.get("forward_calls")
        if not isinstance(calls, int) or isinstance(calls, bool) or calls < -1:
            return None
        msg["forward_calls"] = calls
    elif "probe" in ev or "forward_calls" in ev:
        return None
    return msg


# ----------------------------------------------------------------------------- pipes


class _Writer:
    """Sends the grader's requests to the worker from a thread of its own.

    A request larger than the pipe's buffer would block until the worker reads it;
    the grader's event loop must never wait on that (a worker busy in a submitted
    cell reads nothing), so the writing happens here. The thread closes the pipe.
    """

    def __init__(self, fd: int):
        self.fd = fd
        self.q: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def send(self, obj: dict) -> None:
        """Queue one request (a JSON line)."""
        self.q.put((json.dumps(obj, separators=(",", ":")) + "\n").encode("utf-8"))

    def close(self) -> None:
        """No more requests: the thread closes the pipe once the queue is written (or broken)."""
        self.q.put(None)

    def _loop(self) -> None:
        try:
            while True:
                data = self.q.get()
                if data is None:
                    return
                view = memoryview(data)
                while view:
                    n = os.write(self.fd, view)
                    view = view[n:]
        except OSError:
            return
        finally:
            os.close(self.fd)


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
            except (ValueError, RecursionError):  # RecursionError: nested a million deep
                events.put(("bad", None))
                return
            events.put(("event", ev))
    if buf:
        events.put(("bad", None))  # bytes after the last whole line
        return
    events.put(("eof", None))


def _leftover(events: queue.Queue) -> str:
    """After the final event: "" if nothing else came, else what did ("channel", ...)."""
    while True:
        try:
            kind, _ = events.get_nowait()
        except queue.Empty:
            return ""
        if kind == "eof":
            return ""
        return {"bad": "unreadable", "flood": "output_flood"}.get(kind, "channel")


def _kill(proc: subprocess.Popen, uid) -> float:
    """Kill the worker's whole process group (and, as root, every process of its uid).

    Returns the CPU seconds the worker used (from ``wait4``; 0 where unknown).
    """
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    cpu = 0.0
    try:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
    except ChildProcessError:  # already reaped
        pass
    except OSError:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if uid is not None and sys.platform.startswith("linux"):
        kill_uid(uid)
    return cpu


def _force_remove(func, path, exc_info):
    try:
        os.chmod(os.path.dirname(path), 0o700)
        os.chmod(path, 0o700)
        func(path)
    except OSError:
        pass
