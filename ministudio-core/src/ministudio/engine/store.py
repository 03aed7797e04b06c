"""Content-addressed media store under the project's ``.ministudio/media``.

Files are named by the SHA-256 of their bytes (``ab/abcdef....mp4``) and written atomically:
copied to a temporary file in the same folder, flushed, made read-only (``0o444``), then
renamed, so a crash never leaves a half-written file under a final name. Storing the same
bytes twice is free.

Content is checked by hash, never by size: :meth:`MediaStore.put` repairs a stored file whose
bytes no longer match its name, and :meth:`MediaStore.verify` (which :meth:`MediaStore.has`
uses) tells whether a stored file is intact, so a damaged entry is treated as missing rather
than served. A hash is remembered per file while its size, modification and change times
(``st_ctime`` cannot be set back by a user) stay the same, so checking an intact store
again is cheap.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path

from ministudio.log import get_logger

__all__ = ["MediaStore", "content_digest", "matches_name"]

log = get_logger(__name__)

#: store files are read-only, so nothing that opens them for writing by mistake (an editor,
#: a hard link, a careless script) changes what the ledger's hashes describe
READ_ONLY = 0o444

_memo: dict[tuple[int, int, int, int, int], str] = {}
_memo_lock = threading.Lock()


def content_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, remembered while the file's inode, size, mtime and ctime
    are unchanged (any write changes the ctime, which cannot be set back)."""
    st = os.stat(path)
    memo = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    with _memo_lock:
        if memo in _memo:
            return _memo[memo]
    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    with _memo_lock:
        _memo[memo] = digest
    return digest


def matches_name(path: Path, name: str) -> bool:
    """Whether ``path`` exists and its bytes hash to the digest in the store name ``name``."""
    expected = Path(name).name.split(".")[0]
    try:
        return Path(path).is_file() and content_digest(Path(path)) == expected
    except OSError:
        return False


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, src: Path) -> str:
        """Store a copy of ``src``; return its relative name (digest plus suffix).

        The name is the hash of the bytes actually copied. A file already under that name is
        kept only if its bytes hash to the name; a damaged one is replaced by the new copy."""
        src = Path(src)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=src.suffix)
        try:
            h = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
                while block := inp.read(1 << 20):
                    h.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            digest = h.hexdigest()
            name = f"{digest[:2]}/{digest}{src.suffix.lower()}"
            dest = self.root / name
            if dest.is_file():
                if matches_name(dest, name):
                    Path(tmp).unlink()
                    os.chmod(dest, READ_ONLY)  # stores written before files were read-only
                    return name
                log.warning("store.repair", media=name)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp, READ_ONLY)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return name

    def path(self, name: str) -> Path:
        return self.root / name

    def verify(self, name: str | None) -> bool:
        """Whether ``name`` is stored and its bytes still hash to its name."""
        if not name:
            return False
        ok = matches_name(self.root / name, name)
        if not ok and (self.root / name).exists():
            log.warning("store.corrupt", media=name)
        return ok

    def has(self, name: str | None) -> bool:
        """Whether ``name`` is stored intact (see :meth:`verify`): a damaged file counts as
        missing, so the engine regenerates it instead of serving it."""
        return self.verify(name)
