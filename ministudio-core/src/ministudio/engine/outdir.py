"""The output folder (``--out``): checked before any work, locked while a render writes it.

:func:`check_out_dir` refuses, with one line and a hint, an output folder that

- is not a folder (a file, ``/dev/null``, a path below a file);
- is a system folder (``/``, ``/etc``, ``/usr``, ``/dev/...``, the home folder itself, ...);
- is the project's own folder, contains it, or lies in its ``.ministudio`` state;
- holds files MiniStudio did not write there (the film's own folder, a user's
  ``report.html``...);
- cannot be written.

A folder MiniStudio renders into carries a marker, ``.ministudio-out.json``, listing what it
wrote there. Only those entries, entries named as a render names its deliverables (``*.mp4``,
``*.srt``, ``*.vtt``, ``*.otio``, ``manifest.json``, ``report.html``, ``contact-sheet.png``,
``clips/``, ``audio/``: what a render killed before it updated the marker leaves) and its own
lock and temporary files may be present for the next render. :class:`OutFolder` runs the check, creates the folder, takes the
:class:`~ministudio.engine.lock.OutLock` (so two renders, even of two projects, never write
the same folder at once; the loser is refused), removes what dead renders left there, and on
exit records the folder's entries in the marker.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from ministudio.engine.lock import OUT_LOCK, OutLock
from ministudio.errors import MinistudioError

__all__ = ["MARKER", "OutFolder", "OutputFolderError", "check_out_dir"]

#: the file that says "MiniStudio renders here" and lists what it wrote
MARKER = ".ministudio-out.json"

#: refused as an output folder themselves (anything inside may be a user's folder)
_SYSTEM_EXACT = ("/", "/home", "/Users", "/root", "/var", "/tmp", "/private", "/private/var",
                 "/private/tmp", "/opt", "/srv", "/mnt", "/media", "/Volumes", "/Applications")
#: refused, with everything inside them
_SYSTEM_TREES = ("/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/boot",
                 "/dev", "/proc", "/sys", "/run", "/System", "/Library", "/private/etc",
                 "/var/lib", "/var/log", "/var/run", "/var/cache")
#: entries an operating system or file manager adds by itself
_IGNORED = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", MARKER, OUT_LOCK,
                      f"{OUT_LOCK}.json"})
#: the top-level names a render may write (for folders rendered into before the marker)
_OWN_DIRS = frozenset({"clips", "audio"})
_OWN_FILES = frozenset({"manifest.json", "report.html", "contact-sheet.png"})
_OWN_SUFFIXES = (".mp4", ".srt", ".vtt", ".otio")

_HINT = ("render into a new or empty folder (the default is out/<film name> next to the film), "
         "or one MiniStudio rendered into before")


class OutputFolderError(MinistudioError):
    """``--out`` cannot be used: checked before any provider call."""


def _refuse(out: Path, why: str, hint: str = _HINT) -> OutputFolderError:
    return OutputFolderError(f"--out {out}: {why}", hint=hint)


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _system(path: Path) -> bool:
    if str(path) in _SYSTEM_EXACT or path == Path(path.anchor):
        return True
    return any(_under(path, Path(t)) for t in _SYSTEM_TREES)


def _is_partial(name: str) -> bool:
    return name.startswith(".") and ".partial-" in name


def _marker(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("files"), list) else None


def _named_like_ours(name: str) -> bool:
    return name in _OWN_FILES or name in _OWN_DIRS or name.endswith(_OWN_SUFFIXES)


def _ministudio_manifest(folder: Path) -> bool:
    """A folder rendered into before the marker existed has a MiniStudio ``manifest.json``."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and "manifest_version" in manifest


def _foreign(folder: Path) -> list[str]:
    """Entries of ``folder`` MiniStudio did not write. In a folder it renders into (the
    marker, or an older MiniStudio manifest) its own are those the marker lists and those
    named as a render names them (what a render killed before it updated the marker left)."""
    entries = {e.name for e in os.scandir(folder)}
    entries = {e for e in entries if e not in _IGNORED and not _is_partial(e)}
    if not entries:
        return []
    marker = _marker(folder)
    if marker is None and not _ministudio_manifest(folder):
        return sorted(entries)
    own = set(marker["files"]) if marker is not None else set()
    return sorted(e for e in entries - own if not _named_like_ours(e))


def _writable(folder: Path) -> str | None:
    """None if a file can be created in ``folder``; else why not."""
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".ministudio-probe-"):
            pass
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def check_out_dir(out: str | Path, *, project: Path, create: bool = True) -> Path:
    """Refuse an unusable ``--out`` (see the module docstring) with
    :class:`OutputFolderError`; return the folder as an absolute path. With ``create`` the
    folder is made (parents too) so that writing into it is proven; without (a dry run)
    nothing on disk changes."""
    shown = Path(out)
    path = Path(os.path.abspath(Path(out).expanduser()))
    real = path.resolve()
    if real.exists() and not real.is_dir():
        kind = "a device" if real.is_char_device() or real.is_block_device() else "a file"
        raise _refuse(shown, f"is {kind}, not a folder")
    if _system(real):
        raise _refuse(shown, "is a system folder")
    home = Path.home().resolve()
    if real == home:
        raise _refuse(shown, "is your home folder itself")
    project = Path(project).resolve()
    if _under(real, project / ".ministudio"):
        raise _refuse(shown, "is inside the project's .ministudio state folder")
    if _under(project, real):
        raise _refuse(shown, "is the film's own folder" if real == project
                      else "contains the film's folder")
    if real.is_dir():
        foreign = _foreign(real)
        if foreign:
            names = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more"
                                              if len(foreign) > 3 else "")
            raise _refuse(shown, f"holds files MiniStudio did not write ({names})",
                          hint=_HINT + "; or move those files away")
        why = _writable(real)
        if why:
            raise _refuse(shown, f"is not writable ({why})")
        return real
    parent = real.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise _refuse(shown, f"{parent} is not a folder")
    if not create:
        if not os.access(parent, os.W_OK | os.X_OK):
            raise _refuse(shown, f"cannot be created ({parent} is not writable)")
        return real
    try:
        real.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _refuse(shown, f"cannot be created ({exc.strerror or type(exc).__name__})") from None
    why = _writable(real)
    if why:
        raise _refuse(shown, f"is not writable ({why})")
    return real


def _record(folder: Path, files: set[str]) -> None:
    from ministudio.media.atomic import write_text_atomic

    write_text_atomic(folder / MARKER, json.dumps(
        {"written_by": "ministudio", "files": sorted(files)}, indent=1) + "\n")


class OutFolder:
    """``with OutFolder(out, project=...) as folder:`` — check, create, lock, sweep and claim
    ``out`` for one render; on exit, record what is there as MiniStudio's."""

    def __init__(self, out: str | Path, *, project: Path) -> None:
        self.out = Path(out)
        self.project = Path(project)
        self.path: Path | None = None
        self._lock: OutLock | None = None

    def __enter__(self) -> Path:
        path = check_out_dir(self.out, project=self.project, create=True)
        lock = OutLock(path)
        lock.acquire()  # sweeps the partial files of dead renders
        self._lock = lock
        try:
            # check again under the lock: another render may have written here meanwhile
            check_out_dir(path, project=self.project, create=False)
            self._own = self._current(path) | set((_marker(path) or {}).get("files", ()))
            _record(path, self._own)
        except BaseException:
            lock.release()
            raise
        self.path = path
        return path

    @staticmethod
    def _current(path: Path) -> set[str]:
        return {e.name for e in os.scandir(path)
                if e.name not in _IGNORED and not _is_partial(e.name)}

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        try:
            if self.path is not None:
                _record(self.path, self._own | self._current(self.path))
        finally:
            if self._lock is not None:
                self._lock.release()
