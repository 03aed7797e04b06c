"""engine.heap: freed heap pages go back to the OS after each shot (glibc only)."""

from __future__ import annotations

import platform

import pytest
from ministudio.engine import heap

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@glibc
def test_trim_returns_freed_holes_to_the_os() -> None:
    # 120 MiB in 2 KiB blocks (malloc, not pymalloc), then one block kept above them, so the
    # freed space is a hole below the heap top that free() alone never gives back
    blocks = [bytes(2048) + bytes([k % 256]) for k in range(60_000)]
    keep = bytes(2048) + b"top"
    before_free = _rss_mib()
    del blocks
    freed = _rss_mib()
    assert freed > before_free - 30, "glibc returned the hole by itself; the test shows nothing"
    assert heap.trim() is True
    assert _rss_mib() < freed - 80
    assert keep.endswith(b"top")


@glibc
def test_limit_arenas_applies_unless_the_environment_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert heap.limit_arenas() is False
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    assert heap.limit_arenas(8) is True
