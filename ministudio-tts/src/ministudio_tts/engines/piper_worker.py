"""Piper in a worker process, so its memory leaves with it when the speech is done.

A loaded voice holds about 250 MB (the onnxruntime session and its arena) and onnxruntime
leaves more behind in the process after the voice is dropped (its library, heap it never
gives back). A render needs the voice only in its speech phase, so the voice lives in a
child process (``python -m ministudio_tts.engines.piper_worker``): started on the first
line, reused while lines keep coming, told to exit once it has been idle for
:data:`IDLE_S` and waited for (so its peak memory is its own, never added to the render's
process). Requests and answers are length-prefixed pickles on the child's stdin/stdout,
between this module and the same module in the child only.
"""

from __future__ import annotations

import atexit
import os
import pickle
import struct
import subprocess
import sys
import threading
from typing import IO, Any

from ministudio.errors import ProviderError, RetryableProviderError
from ministudio.log import get_logger

__all__ = ["IDLE_S", "Worker", "main", "shared"]

log = get_logger(__name__)

#: the worker exits after this long without a line. A render asks for its lines back to back,
#: so the worker is gone about this long after the speech phase, before the shots need memory
IDLE_S = 2.0
_HEADER = struct.Struct("!Q")


def _send(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("the piper worker closed its pipe")
    (size,) = _HEADER.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the piper worker closed its pipe mid-answer")
    return pickle.loads(data)  # noqa: S301 - our own child process, our own messages


class Worker:
    """The client side: one child process at a time, one line at a time (onnxruntime
    spreads one run over every core already)."""

    def __init__(self, idle_s: float | None = None) -> None:
        self.idle_s = IDLE_S if idle_s is None else idle_s
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._timer: threading.Timer | None = None
        self.started = 0  #: child processes started so far

    @property
    def pid(self) -> int | None:
        """The running child's process id, None while none runs."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def call(self, op: str, **kwargs: Any) -> Any:
        """Run ``op`` in the child (started if needed) and return its answer; the child's
        errors come back as :class:`ProviderError`."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            try:
                proc = self._ensure()
                assert proc.stdin is not None and proc.stdout is not None
                _send(proc.stdin, (op, kwargs))
                ok, value = _receive(proc.stdout)
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                self._stop_locked()
                raise RetryableProviderError(f"the piper worker process failed: {exc}",
                                             provider="piper") from None
            finally:
                if self._proc is not None:
                    self._timer = threading.Timer(self.idle_s, self.stop)
                    self._timer.daemon = True
                    self._timer.start()
        if not ok:
            raise ProviderError(value, provider="piper")
        return value

    def _ensure(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._stop_locked()
        env = dict(os.environ)
        # the child imports exactly what this process imports, from the same places
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "ministudio_tts.engines.piper_worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.started += 1
        log.debug("piper.worker.start", pid=self._proc.pid)
        return self._proc

    def stop(self) -> None:
        """Tell the child to exit and wait for it (its voice and memory go with it)."""
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()  # end of input: the child's loop ends
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        finally:
            if proc.stdout is not None:
                proc.stdout.close()


_shared: Worker | None = None
_shared_lock = threading.Lock()


def shared() -> Worker:
    """The process's worker client (its child is stopped at interpreter exit)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Worker()
            atexit.register(_shared.stop)
        return _shared


def _serve(op: str, kwargs: dict[str, Any]) -> Any:
    from ministudio_tts.engines import piper

    if op == "synthesize":
        syn = piper.synthesize_here(**kwargs)
        return syn.samples, syn.sample_rate, syn.spans
    if op == "ping":
        return os.getpid()
    raise ValueError(f"unknown piper worker request {op!r}")


def main() -> None:
    """The child's loop: answer requests from stdin until it closes."""
    # the protocol owns the original stdout; anything a library prints goes to stderr
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    inp = sys.stdin.buffer
    while True:
        try:
            op, kwargs = _receive(inp)
        except EOFError:
            return
        try:
            answer: tuple[bool, Any] = (True, _serve(op, kwargs))
        except ProviderError as exc:
            answer = (False, str(exc))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
            answer = (False, f"piper failed: {type(exc).__name__}: {exc}")
        _send(out, answer)


if __name__ == "__main__":
    main()
