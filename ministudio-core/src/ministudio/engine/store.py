"""Content-addressed media store under the project's ``.ministudio/media``.

Files are named by the SHA-256 of their bytes (``ab/abcdef....mp4``) and written atomically:
copied to a temporary file in the same folder, flushed, then renamed, so a crash never
leaves a half-written file under a final name. Storing the same bytes twice is free.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ministudio.engine.keys import file_digest

__all__ = ["MediaStore"]


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, src: Path) -> str:
        """Store a copy of ``src``; return its relative name (digest plus suffix)."""
        src = Path(src)
        digest = file_digest(src)
        name = f"{digest[:2]}/{digest}{src.suffix.lower()}"
        dest = self.root / name
        if dest.is_file() and dest.stat().st_size == src.stat().st_size:
            return name
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-", suffix=src.suffix)
        try:
            with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
                shutil.copyfileobj(inp, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return name

    def path(self, name: str) -> Path:
        return self.root / name

    def has(self, name: str | None) -> bool:
        return bool(name) and (self.root / name).is_file()  # type: ignore[operator]
