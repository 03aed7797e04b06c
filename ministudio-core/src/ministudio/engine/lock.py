"""One render per project at a time: an OS file lock on ``.ministudio/render.lock``.

The lock is released by the operating system when the process ends, even when it is killed,
so a crashed render never blocks the next one. A second render while one runs gets a
:class:`RenderLockedError` naming the holder.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType

from ministudio.engine.errors import RenderLockedError

__all__ = ["ProjectLock"]


class ProjectLock:
    def __init__(self, state_dir: Path) -> None:
        from filelock import FileLock

        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.info = self.state_dir / "render.lock.json"
        self._lock = FileLock(str(self.state_dir / "render.lock"), is_singleton=False,
                              thread_local=False)

    def acquire(self) -> None:
        from filelock import Timeout

        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            holder = ""
            try:
                data = json.loads(self.info.read_text())
                holder = (f" (pid {data.get('pid')} on {data.get('host')}, started "
                          f"{time.strftime('%H:%M:%S', time.localtime(data.get('started', 0)))})")
            except (OSError, ValueError):
                pass
            raise RenderLockedError(
                f"another render of this project is running{holder}",
                hint="wait for it to finish, or render into another project folder",
            ) from None
        self.info.write_text(json.dumps(
            {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
        ))

    def release(self) -> None:
        if self._lock.is_locked:
            self.info.unlink(missing_ok=True)
            self._lock.release()

    def __enter__(self) -> ProjectLock:
        self.acquire()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.release()
