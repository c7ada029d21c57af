"""The grader's worker: runs ONE submission in a sandboxed process and reports raw outputs.

Used by the exercises of every chapter (the instructors' page of chapter 0 describes it).

This file is deliberately standalone (standard library and numpy only): the grader
starts it as ``python -I -S _worker.py FD`` with an explicit ``sys.path`` that holds
the standard library and numpy but not ``course_rnn``, so a submission cannot import
the course's reference implementations. The same functions (``run_steps``,
``encode``) are imported by the learner-side ``check()`` and by the grader, so that a
question is run the same way in the learner's kernel, in the grader and here.

What the worker does, in order (all before any submitted code runs):

1. reads the set-up request (one JSON line) from the request pipe: the submission's
   code cells, limits and sandbox paths (not the tests: those come one at a time later);
2. imports numpy and a short list of standard modules (what a submission may import
   even where the rest of the file system is closed);
3. sets resource limits on itself (CPU, address space, file size, open files, processes);
4. on Linux, applies a Landlock ruleset (reads only of the standard library, numpy and
   system libraries; reads and writes only in its temporary folder; no program may be
   executed; no TCP; no signals to processes outside the sandbox);
5. when started as root, drops to the unprivileged uid/gid it was given.

Then it runs the cells one by one (each under a cooperative limit of CPU time), and
answers the grader's calls one at a time, in lock-step (``main``): a call's inputs
arrive only after the previous call was answered, and are dropped once it is. It
writes one JSON line per event to the result pipe and never judges anything: the
grader compares the arrays in its own process (``sandbox.py`` says why nothing
written on that pipe can earn a point).
"""

from __future__ import annotations

import base64
import builtins
import io
import json
import linecache
import os
import signal
import sys
import time
import traceback

PROTOCOL = 2  # 2: lock-step, one call at a time (see ``main``)
MAX_ARRAY_BYTES = 32 * 2**20  # larger outputs are reported as "too large", not sent
MAX_STR = 4096  # characters of a returned string sent (free-text answers)
STDOUT_KEEP = 4096  # characters of the submission's printed output kept for feedback
MISSING = object()


# ----------------------------------------------------------------------------- encoding


def encode(value, depth: int = 0) -> dict:
    """A JSON-able description of a value returned by submitted code.

    Arrays and numbers become ``{"t": "array", "dtype", "shape", "data"}`` (raw bytes in
    base64; never pickled), tuples and lists one level deep ``{"t": "tuple"}``, strings
    ``{"t": "str"}``, ``None`` ``{"t": "none"}``; anything else only its type name.
    Used by the exercises of every chapter (learner checks and grading).
    """
    import numpy as np

    if value is MISSING:
        return {"t": "missing"}
    if value is None:
        return {"t": "none"}
    if value is Ellipsis:
        return {"t": "ellipsis"}
    if isinstance(value, str):
        return {"t": "str", "v": value[:MAX_STR]}
    if isinstance(value, (tuple, list)) and not isinstance(value, np.ndarray):
        if depth > 0:
            return {"t": "object", "type": type(value).__name__}
        return {"t": "tuple", "items": [encode(v, depth + 1) for v in value[:64]], "n": len(value)}
    if isinstance(value, (bool, int, float, complex, np.generic, np.ndarray)):
        try:
            arr = np.asarray(value)
        except Exception as exc:  # an ndarray subclass that fails to convert
            return {"t": "object", "type": type(value).__name__, "error": str(exc)[:200]}
        arr = arr.view(np.ndarray) if isinstance(arr, np.ndarray) else arr
        if arr.dtype.hasobject or arr.dtype.kind not in "biufc" or arr.dtype.fields:
            return {"t": "object", "type": f"array of {arr.dtype}"}
        if arr.nbytes > MAX_ARRAY_BYTES:
            return {"t": "too_large", "shape": list(arr.shape), "dtype": arr.dtype.str}
        arr = np.require(arr, requirements="C")  # keeps 0-d arrays 0-d, unlike ascontiguousarray
        return {
            "t": "array",
            "dtype": arr.dtype.str,
            "shape": list(arr.shape),
            "data": base64.b64encode(arr.tobytes()).decode("ascii"),
        }
    return {"t": "object", "type": type(value).__name__}


def decode_inputs(enc: dict):
    """Inverse of ``encode`` for the grader's own (trusted) inputs: arrays, literals, None."""
    import numpy as np

    t = enc.get("t")
    if t == "array":
        raw = base64.b64decode(enc["data"])
        return np.frombuffer(raw, dtype=np.dtype(enc["dtype"])).reshape(enc["shape"]).copy()
    if t == "none":
        return None
    if t == "literal":
        return enc["v"]
    raise ValueError(f"cannot decode input of type {t!r}")


# ----------------------------------------------------------------------------- running steps


class StepError(Exception):
    """A step of a question could not run: missing function or a bad number of returns."""

    def __init__(self, kind: str, **info):
        super().__init__(kind)
        self.kind = kind
        self.info = info


def _library_dirs() -> tuple:
    import numpy

    return (os.path.dirname(numpy.__file__), os.path.dirname(os.__file__))


class _CallCounter:
    """A profile function (``sys.setprofile``) counting the calls of Python functions that are
    not numpy's or the standard library's: all of them (``only=None``), or those of ``only``."""

    def __init__(self, only=None):
        self.only, self.counts, self.library = only, {}, _library_dirs()

    def __call__(self, frame, event, arg):
        if event != "call":
            return
        code = frame.f_code
        if self.only is not None:
            if code in self.only:
                self.counts[code] = self.counts.get(code, 0) + 1
        elif not code.co_filename.startswith(self.library):
            self.counts[code] = self.counts.get(code, 0) + 1


#: a backward pass may call its forward this often (to recompute a cache); a backward by
#: finite differences calls it at least twice per input entry
MAX_FORWARD_CALLS = 2


def run_steps(namespace: dict, steps: list, values: dict, until: int | None = None,
              watch: str | None = None, counts: dict | None = None) -> dict:
    """Run a question's steps: each calls a function of ``namespace`` on named values.

    ``steps`` is a list of ``{"function", "args", "kwargs", "returns"}``; ``args`` name
    entries of ``values`` (the test's inputs, or what an earlier step returned), and the
    result is bound to the names of ``returns`` (one name: the whole result; several:
    unpacked). ``values`` is updated in place and returned. ``until`` stops after that
    many steps. Raises ``StepError`` for a missing function or a wrong number of returns;
    anything the called function raises propagates.

    With ``watch`` (the name of a forward function) and a dict ``counts``, the step that calls
    ``watch`` runs under a profile function that notes the submission's functions it runs
    exactly once (the forward itself, under whatever wrappers or private names: its code
    objects, not its name), and the later steps (the backward pass) under one that counts the
    calls of those: ``counts["calls"]`` is the largest such count, ``-1`` if a step removed the
    profile function. A backward pass computed by finite differences must run the forward at
    least twice per input entry. Used by the exercises of every chapter (learner checks,
    reference outputs and the sandbox all run questions here).
    """
    counter, watching = None, watch is not None and counts is not None
    for k, step in enumerate(steps if until is None else steps[:until]):
        name = step["function"]
        fn = namespace.get(name, MISSING)
        if fn is MISSING:
            raise StepError("missing", function=name, step=k)
        if not callable(fn):
            raise StepError("not_callable", function=name, type=type(fn).__name__, step=k)
        args = [values[a] for a in step.get("args", [])]
        profile = _CallCounter() if watching and counter is None and name == watch else counter
        if profile is None:
            result = fn(*args, **dict(step.get("kwargs", {})))
        else:
            old = sys.getprofile()
            sys.setprofile(profile)
            try:
                result = fn(*args, **dict(step.get("kwargs", {})))
            finally:
                removed = sys.getprofile() is not profile
                sys.setprofile(old)
            if profile is counter:
                calls = max(counter.counts.values(), default=0)
                counts["calls"] = -1 if removed or counts.get("calls") == -1 else calls
            else:  # the forward step: what it ran once is the forward
                once = {c for c, n in profile.counts.items() if n == 1}
                counter = _CallCounter(once)
                counts["calls"] = -1 if removed else 0
        returns = step.get("returns", [])
        if len(returns) == 1:
            values[returns[0]] = result
        elif len(returns) > 1:
            if not isinstance(result, (tuple, list)) or len(result) != len(returns):
                n = len(result) if isinstance(result, (tuple, list)) else 1
                raise StepError(
                    "returns", function=name, expected=list(returns), got=n,
                    type=type(result).__name__, step=k,
                )
            values.update(zip(returns, result, strict=True))
    return values


def perturbed_outputs(namespace: dict, probe: dict, inputs: dict) -> dict:
    """The forward's outputs at the test's input and at ``x ± eps e_i`` for every entry.

    ``probe = {"steps": [forward step], "wrt": [names], "out": [names], "eps": h}``:
    the forward steps are run once as they are, then once per entry of every ``wrt``
    input moved by ``+eps`` and once by ``-eps`` (in ``np.ndindex`` order). Returns
    ``{"base": {out: value}, "moved": {out: {wrt: [plus_0, minus_0, plus_1, ...]}}}``.
    The grader turns these into a numerical gradient itself (chapter 3's centred
    differences), after checking them against its own reference forward.
    """
    import numpy as np

    eps = float(probe["eps"])

    def fresh(overrides):
        vals = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}
        vals.update(overrides)
        return run_steps(namespace, probe["steps"], vals)

    base_vals = fresh({})
    base = {o: base_vals.get(o, MISSING) for o in probe["out"]}
    moved = {o: {w: [] for w in probe["wrt"]} for o in probe["out"]}
    for w in probe["wrt"]:
        x = np.asarray(inputs[w], dtype=np.float64)
        for idx in np.ndindex(x.shape):
            for sign in (1.0, -1.0):
                x_moved = x.copy()
                x_moved[idx] += sign * eps
                vals = fresh({w: x_moved})
                for o in probe["out"]:
                    moved[o][w].append(vals.get(o, MISSING))
    return {"base": base, "moved": moved}


# ----------------------------------------------------------------------------- cells


def clean_cell(source: str) -> str:
    """A notebook cell as plain Python: IPython magics and shell lines become ``pass``."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return ""
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            out.append(line[: len(line) - len(stripped)] + "pass  # IPython line removed")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


class CappedWriter(io.TextIOBase):
    """``sys.stdout`` for submitted code: keeps the first few KB and counts the rest."""

    def __init__(self, keep: int = STDOUT_KEEP):
        self.keep = keep
        self.parts: list[str] = []
        self.kept = 0
        self.total = 0

    def writable(self):
        """Always: this is an output stream."""
        return True

    def write(self, s):
        """Keep the start of ``s``, count all of it."""
        s = str(s)
        self.total += len(s)
        if self.kept < self.keep:
            piece = s[: self.keep - self.kept]
            self.parts.append(piece)
            self.kept += len(piece)
        return len(s)

    def text(self) -> str:
        """What was kept."""
        return "".join(self.parts)


def _in_cell(filename: str) -> bool:
    return filename.startswith("<cell")


def describe_exception(exc: BaseException, is_user=_in_cell) -> dict:
    """Type, message and the innermost line of submitted code where ``exc`` was raised.

    ``is_user(filename)`` tells submitted code from the rest (default: the sandbox's
    ``<cell i>`` files).
    """
    try:
        message = str(exc)
    except BaseException:  # a hostile __str__
        message = "<unprintable>"
    where = None
    tb = exc.__traceback__
    for frame, lineno in traceback.walk_tb(tb):
        filename = frame.f_code.co_filename
        if is_user(filename):
            line = linecache.getline(filename, lineno).strip()
            where = {"cell": filename, "line": lineno, "code": line[:200],
                     "function": frame.f_code.co_name}
    if isinstance(exc, SyntaxError):
        message = str(exc.msg)
        where = {"cell": exc.filename, "line": exc.lineno, "code": (exc.text or "").strip()[:200],
                 "function": None}
    return {"type": type(exc).__name__, "message": message[:500], "where": where}


class _Timeout(BaseException):
    """Raised by the worker's timer: a cell or call used up its CPU time."""


_ARMED = [False]  # whether a cooperative limit is running (a late SIGPROF is then ignored)


def _alarm(signum, frame):
    if _ARMED[0]:
        _ARMED[0] = False
        raise _Timeout()


# ----------------------------------------------------------------------------- the sandbox

# Landlock (Linux >= 5.13), through the raw system calls; the numbers are the same on
# every architecture that has them (x86-64, arm64, ...).
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_ABI1 = (1 << 13) - 1  # execute ... make_sym
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1


def landlock(read_paths, write_paths) -> dict:
    """Restrict this process (and any child) to reading ``read_paths`` and writing ``write_paths``.

    Returns what was applied: ``{"abi": n, "fs": True, "net": bool, "signals": bool}``,
    or ``{"abi": 0, "reason": ...}`` when the kernel has no Landlock (then nothing is
    restricted). Raises ``OSError`` when the kernel has Landlock but applying it failed
    (the worker then refuses to run anything). Nothing may be executed; with ABI >= 4 no
    TCP bind/connect; with ABI >= 6 no signals to, and no abstract Unix sockets of,
    processes outside.
    """
    import ctypes
    import struct

    if not sys.platform.startswith("linux"):
        return {"abi": 0, "reason": f"no Landlock on {sys.platform}"}
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        return {"abi": 0, "reason": os.strerror(ctypes.get_errno()) or "unsupported"}
    fs = FS_ABI1
    if abi >= 2:
        fs |= FS_REFER
    if abi >= 3:
        fs |= FS_TRUNCATE
    if abi >= 5:
        fs |= FS_IOCTL_DEV
    net = (NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0
    scoped = (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if abi >= 6 else 0
    if abi >= 6:
        attr = struct.pack("<QQQ", fs, net, scoped)
    elif abi >= 4:
        attr = struct.pack("<QQ", fs, net)
    else:
        attr = struct.pack("<Q", fs)
    buf = ctypes.create_string_buffer(attr, len(attr))
    ruleset = libc.syscall(SYS_LANDLOCK_CREATE_RULESET, buf, ctypes.c_size_t(len(attr)),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    read = FS_READ_FILE | FS_READ_DIR
    write = fs & ~FS_EXECUTE & ~(1 << 6) & ~(1 << 11)  # everything but exec, char/block devices

    def add(path, rights):
        if path.endswith("/") and len(path) > 1:  # the folder's listing only
            path, rights = path.rstrip("/"), FS_READ_DIR
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return
        try:
            if not os.path.isdir(path):
                rights &= FILE_RIGHTS
            rule = ctypes.create_string_buffer(struct.pack("<Qi", rights & fs, fd), 12)
            if libc.syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(1),
                            rule, ctypes.c_uint32(0)) != 0:
                raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}")
        finally:
            os.close(fd)

    try:
        for path in read_paths:
            add(path, read)
        for path in write_paths:
            add(path, write)
        add("/dev/null", FS_READ_FILE | FS_WRITE_FILE)
        if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        if libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)):
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return {"abi": int(abi), "fs": True, "net": bool(net), "signals": bool(scoped)}


def set_limits(limits: dict) -> dict:
    """Lower this process's resource limits (soft = hard, so they cannot be raised again)."""
    try:
        import resource
    except ImportError:
        return {"applied": False, "reason": "no resource module on this system"}
    applied = {}
    table = {
        "cpu_s": (resource.RLIMIT_CPU, 1),
        "memory_mb": (getattr(resource, "RLIMIT_AS", None), 2**20),
        "fsize_mb": (resource.RLIMIT_FSIZE, 2**20),
        "nofile": (resource.RLIMIT_NOFILE, 1),
        "nproc": (getattr(resource, "RLIMIT_NPROC", None), 1),
        "core": (resource.RLIMIT_CORE, 1),
    }
    for key, (which, unit) in table.items():
        if key not in limits or which is None:
            continue
        value = int(limits[key] * unit)
        try:
            resource.setrlimit(which, (value, value))
            applied[key] = limits[key]
        except (ValueError, OSError) as exc:
            applied[key] = f"not set: {exc}"
    return applied


def drop_privileges(uid: int, gid: int) -> bool:
    """As root, become ``uid``/``gid`` for good (no supplementary groups, no capabilities)."""
    if not hasattr(os, "setresuid") or os.geteuid() != 0:
        return False
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    return True


# ----------------------------------------------------------------------------- main


class Channel:
    """One JSON object per line on the result pipe (the grader reads them as they come)."""

    def __init__(self, fd: int):
        self.fd = fd

    def send(self, obj: dict) -> None:
        """Write one event as a JSON line, whole."""
        data = (json.dumps(obj, separators=(",", ":")) + "\n").encode("utf-8")
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]


class Requests:
    """The grader's requests, one JSON line at a time, from the request pipe.

    Reads only up to the end of the line it returns (the grader never sends the next
    request before it has the answer to this one, so nothing else is ever buffered).
    """

    def __init__(self, fd: int):
        self.fd = fd

    def next(self) -> dict | None:
        """The next request, or None when the grader closed the pipe."""
        chunks = []
        while True:
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return None
            chunks.append(chunk)
            if chunk.endswith(b"\n"):
                break
        data = b"".join(chunks)
        chunks.clear()
        return json.loads(data.decode("utf-8"))


def cpu_timer(seconds: float) -> None:
    """Arm (or, with 0, disarm) the cooperative limit: ``seconds`` of this process's CPU time.

    ``ITIMER_PROF`` counts the CPU time of the process (user and system), not the wall
    clock, so a test gets the same limit however busy the machine is.
    """
    seconds = max(float(seconds), 0.0)
    _ARMED[0] = seconds > 0
    signal.setitimer(signal.ITIMER_PROF, seconds)


def answer(ns: dict, call: dict) -> dict:
    """Run one call of the grader on the submission's namespace: the result event, nonce aside.

    Everything the call brought (its inputs, the values its steps produced) lives in
    this function's frame only, and is gone when it returns.
    """
    timeout = float(call.get("timeout", 5))
    msg = {"ev": "result", "id": call["id"]}
    start = time.process_time()
    cpu_timer(timeout)
    try:
        if call.get("kind") == "variable":
            msg["outputs"] = {call["name"]: encode(ns.get(call["name"], MISSING))}
        else:
            inputs = {k: decode_inputs(v) for k, v in call["inputs"].items()}
            probe = call.get("probe")
            counts: dict = {}
            watch = probe["steps"][0]["function"] if probe else None
            values = run_steps(ns, call["steps"], dict(inputs), watch=watch, counts=counts)
            msg["outputs"] = {n: encode(values.get(n, MISSING)) for n in call["send"]}
            del values
            if probe:
                msg["forward_calls"] = int(counts.get("calls", 0))
                got = perturbed_outputs(ns, probe, inputs)
                msg["probe"] = {
                    "base": {o: encode(v) for o, v in got["base"].items()},
                    "moved": {o: {w: [encode(v) for v in vs] for w, vs in per.items()}
                              for o, per in got["moved"].items()},
                }
                del got
            del inputs
    except _Timeout as exc:
        msg.pop("outputs", None)
        msg["error"] = {"type": "Timeout", "message": f"{timeout:g} s", "cpu": True,
                        **_where(exc)}
    except StepError as exc:
        msg.pop("outputs", None)
        info = dict(exc.info)
        type_name = info.pop("type", None)  # the called value's type, not the error's
        msg["error"] = {"type": "StepError", "kind": exc.kind, **info}
        if type_name is not None:
            msg["error"]["type_name"] = type_name
    except BaseException as exc:
        msg.pop("outputs", None)
        msg["error"] = describe_exception(exc)
    finally:
        cpu_timer(0)
    msg["seconds"] = round(time.process_time() - start, 4)
    return msg


def main(argv: list[str]) -> int:
    """Entry point: ``python -I -S _worker.py RESULT_FD REQUEST_FD`` (stdin is /dev/null).

    The protocol, in lock-step with the grader (``sandbox.py``):

    1. request pipe: the set-up (cells, limits, sandbox); result pipe: ``ready``;
    2. for each cell: ``cell`` then ``cell_end`` with its error;
    3. then, one at a time: the grader sends ``{"call", "nonce"}``, the worker answers
       with one ``result`` event carrying the call's id and that nonce, and forgets the
       call's data before it reads the next one;
    4. ``{"end": nonce}``: the worker answers ``done`` (the printed output) and exits.
    """
    chan = Channel(int(argv[1]))
    requests = Requests(int(argv[2]))
    request = requests.next() or {}
    sandbox = request.get("sandbox", {})
    sys.path[:] = list(sandbox.get("path", sys.path))
    sys.dont_write_bytecode = True
    import numpy as np

    for name in sandbox.get("preload", []):
        try:
            __import__(name)
        except ImportError:
            pass
    workdir = sandbox.get("workdir")
    if workdir:
        os.chdir(workdir)
    report = {"limits": set_limits(request.get("limits", {}))}
    ll = sandbox.get("landlock")
    if ll is not None:
        try:
            report["landlock"] = landlock(ll.get("read", []), ll.get("write", []))
        except OSError as exc:  # supported but not applied: run nothing rather than run open
            chan.send({"ev": "fatal", "message": f"Landlock failed: {exc}"})
            return 3
    if sandbox.get("uid") is not None:
        report["dropped"] = drop_privileges(int(sandbox["uid"]), int(sandbox["gid"]))
        if os.geteuid() == 0:
            chan.send({"ev": "fatal", "message": "could not drop root privileges"})
            return 3
    report["uid"] = os.getuid()
    out = CappedWriter()
    sys.stdout = sys.stderr = out
    signal.signal(signal.SIGPROF, _alarm)
    chan.send({"ev": "ready", "sandbox": report, "pid": os.getpid()})

    noop = _noop_check
    ns = {"__name__": "__main__", "__builtins__": builtins, "np": np, "numpy": np, "check": noop}
    skip = set(request.get("skip", []))
    cell_timeout = float(request.get("cell_timeout", 10))
    cells = list(request.get("cells", []))
    del request, sandbox, ll
    for i, source in enumerate(cells):
        if i in skip:
            continue
        chan.send({"ev": "cell", "i": i})
        filename = f"<cell {i}>"
        code_text = clean_cell(source)
        linecache.cache[filename] = (len(code_text), None, code_text.splitlines(True), filename)
        error = None
        cpu_timer(cell_timeout)
        try:
            exec(compile(code_text, filename, "exec"), ns)
        except _Timeout as exc:
            error = {"type": "Timeout", "message": f"{cell_timeout:g} s of CPU time",
                     **_where(exc)}
        except BaseException as exc:  # SystemExit, KeyboardInterrupt, MemoryError: all reported
            error = describe_exception(exc)
        finally:
            cpu_timer(0)
        chan.send({"ev": "cell_end", "i": i, "error": error})
    ns["check"] = noop

    while True:
        req = requests.next()
        if req is None:
            return 0
        if "end" in req:
            chan.send({"ev": "done", "nonce": req["end"], "stdout": out.text(),
                       "stdout_chars": out.total})
            return 0
        msg = answer(ns, req["call"])
        msg["nonce"] = req["nonce"]
        del req
        chan.send(msg)
        del msg


def _where(exc: BaseException) -> dict:
    info = describe_exception(exc)
    return {"where": info["where"]}


def _noop_check(*args, **kwargs):
    """Stands in for ``check()`` inside the sandbox (the grader does the checking)."""
    return None


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush() if hasattr(sys.stdout, "flush") else None
    os._exit(code)
