"""Small text helpers for command output."""

from __future__ import annotations

__all__ = ["counted"]


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``1 scene``, ``2 scenes``, ``0 scenes``."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"
