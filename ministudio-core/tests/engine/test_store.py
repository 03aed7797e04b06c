"""The content-addressed store: read-only files, checked by hash (never by size), repaired."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from ministudio.engine.store import MediaStore
from ministudio.testing.fakes import write_color_clip


def _clip(tmp_path: Path, name: str = "src.mp4", **kw) -> Path:
    return write_color_clip(tmp_path / name, duration_s=0.5, width=64, height=48, **kw)


def _damage_same_size(path: Path) -> None:
    """Flip bytes in the middle of ``path`` in place, keeping its size and its mtime."""
    st = path.stat()
    os.chmod(path, 0o644)
    with open(path, "r+b") as fh:
        fh.seek(st.st_size // 2)
        chunk = fh.read(64)
        fh.seek(st.st_size // 2)
        fh.write(bytes(b ^ 0xFF for b in chunk))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


def test_put_names_by_content_and_writes_read_only(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    src = _clip(tmp_path)
    name = store.put(src)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    assert name == f"{digest[:2]}/{digest}.mp4"
    mode = store.path(name).stat().st_mode
    assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert store.put(src) == name and store.verify(name)
    # no temporary file is left behind
    assert sorted(p.name for p in (tmp_path / "media").rglob("*")) == [digest[:2], Path(name).name]


def test_same_size_damage_is_found_and_repaired_not_skipped(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    src = _clip(tmp_path)
    name = store.put(src)
    assert store.verify(name)  # hashed once and remembered...
    _damage_same_size(store.path(name))
    # ...but the remembered hash is not trusted after a write (same size, same mtime)
    assert not store.verify(name) and not store.has(name)
    assert store.put(src) == name  # the old store skipped a file of the same size
    assert store.path(name).read_bytes() == src.read_bytes()
    assert store.verify(name)
    assert not store.path(name).stat().st_mode & 0o222


def test_verify_refuses_missing_foreign_and_renamed_files(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    a = store.put(_clip(tmp_path, "a.mp4", color=(10, 200, 10)))
    b = store.put(_clip(tmp_path, "b.mp4", color=(200, 10, 10)))
    assert not store.verify(None) and not store.verify("")
    assert not store.verify("00/" + "0" * 64 + ".mp4")
    # a file swapped in under another entry's name is not that entry
    os.replace(store.path(b), store.path(a))
    assert not store.verify(a) and not store.has(b)


def test_store_written_before_read_only_files_is_made_read_only(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    src = _clip(tmp_path)
    name = store.put(src)
    os.chmod(store.path(name), 0o644)
    assert store.put(src) == name
    assert not store.path(name).stat().st_mode & 0o222
