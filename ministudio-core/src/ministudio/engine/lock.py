"""OS file locks that make renders exclusive, and the sweep of what dead renders left.

:class:`ProjectLock` (``.ministudio/render.lock``): one render per project at a time.
:class:`OutLock` (``<out>/.ministudio-out.lock``): one render into an output folder at a time,
even from two projects. A second render while one holds the lock gets a
:class:`RenderLockedError` naming the holder.

A lock is released by the operating system when its process ends, even when it is killed, so
a crashed render never blocks the next one, and whoever holds a lock knows that every
temporary file under it belongs to a render that is dead: :meth:`ProjectLock.acquire` removes
the ``work-*`` folders, half-stored media and half-written state files in ``.ministudio``,
and :meth:`OutLock.acquire` the ``.NAME.partial-*`` files in the output folder.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from pathlib import Path
from types import TracebackType

from ministudio.engine.errors import RenderLockedError
from ministudio.log import get_logger

__all__ = ["OUT_LOCK", "OutLock", "ProjectLock", "sweep_out", "sweep_state"]

log = get_logger(__name__)

#: the lock file (and, with ``.json``, its holder) inside an output folder
OUT_LOCK = ".ministudio-out.lock"


class _FolderLock:
    """A non-blocking OS lock on ``folder/lock_name`` with a JSON note of its holder."""

    lock_name = "render.lock"
    busy = "another render of this project is running"
    hint = "wait for it to finish, or render into another project folder"

    def __init__(self, folder: Path) -> None:
        from filelock import FileLock

        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.info = self.folder / f"{self.lock_name}.json"
        self._lock = FileLock(str(self.folder / self.lock_name), is_singleton=False,
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
            raise RenderLockedError(f"{self.busy}{holder}", hint=self.hint) from None
        self.info.write_text(json.dumps(
            {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
        ))
        self.sweep()

    def sweep(self) -> None:
        """Remove what dead holders left (called with the lock held)."""

    def release(self) -> None:
        if self._lock.is_locked:
            self.info.unlink(missing_ok=True)
            self._lock.release()

    def __enter__(self) -> _FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.release()


class ProjectLock(_FolderLock):
    """One render per project: the lock on ``.ministudio/render.lock``."""

    def __init__(self, state_dir: Path) -> None:
        super().__init__(state_dir)
        self.state_dir = self.folder

    def sweep(self) -> None:
        sweep_state(self.state_dir)

    def __enter__(self) -> ProjectLock:
        self.acquire()
        return self


class OutLock(_FolderLock):
    """One render into an output folder at a time: the lock on ``<out>/.ministudio-out.lock``."""

    lock_name = OUT_LOCK
    hint = "wait for it to finish, or pass another --out"

    def __init__(self, out_dir: Path) -> None:
        super().__init__(out_dir)
        self.busy = f"another render is writing into {out_dir}"

    def sweep(self) -> None:
        sweep_out(self.folder)

    def __enter__(self) -> OutLock:
        self.acquire()
        return self


def _remove(path: Path) -> bool:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        return False
    except OSError:
        log.warning("sweep.failed", path=str(path), exc_info=True)
        return False
    return True


def sweep_state(state_dir: Path) -> int:
    """Remove dead renders' leftovers from a project's state folder; returns how many.

    Only call with the :class:`ProjectLock` held: then no live render owns any of them."""
    state_dir = Path(state_dir)
    found = [*state_dir.glob("work-*"), *state_dir.glob(".*.partial-*")]
    media = state_dir / "media"
    if media.is_dir():
        found += [*media.glob(".tmp-*"), *media.glob("*/.tmp-*")]
    removed = sum(_remove(p) for p in found)
    if removed:
        log.info("sweep.state", removed=removed)
    return removed


def sweep_out(out_dir: Path) -> int:
    """Remove half-written deliverables (``.NAME.partial-*``) from an output folder and its
    ``clips/`` and ``audio/``; returns how many. Only call with the :class:`OutLock` held."""
    out_dir = Path(out_dir)
    found = [p for folder in (out_dir, out_dir / "clips", out_dir / "audio")
             for p in (folder.glob(".*.partial-*") if folder.is_dir() else ())]
    removed = sum(_remove(p) for p in found)
    if removed:
        log.info("sweep.out", removed=removed)
    return removed
