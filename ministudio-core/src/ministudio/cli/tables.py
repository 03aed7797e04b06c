"""Tables on stdout that read well at any width.

On a terminal: a rich table as wide as the terminal, where short columns (names, numbers,
statuses) never wrap and only the columns marked ``wide`` (notes, descriptions, paths) wrap
inside their cell. Piped or redirected: plain aligned text with every value in full and
nothing wrapped or cut, so ``grep``/``cut`` see whole values.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import attrs

__all__ = ["Column", "print_table", "render_plain"]


@attrs.frozen
class Column:
    header: str
    #: wraps inside its cell on a narrow terminal (every other column stays on one line)
    wide: bool = False
    justify: str = "left"


def render_plain(columns: Sequence[Column], rows: Sequence[Sequence[Any]]) -> str:
    """Aligned text, no wrapping; the last column is not padded."""
    cells = [[c.header for c in columns]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = []
    for row in cells:
        parts = [
            (v.rjust(w) if col.justify == "right" else v.ljust(w))
            for v, w, col in zip(row, widths, columns, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def print_table(columns: Sequence[Column], rows: Sequence[Sequence[Any]], *,
                styles: Sequence[dict[int, str]] | None = None, console: Any = None) -> None:
    """Print ``rows`` under ``columns``. ``styles``: per row, column index -> rich style
    (used on a terminal only)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    if console is None:
        if not sys.stdout.isatty():
            sys.stdout.write(render_plain(columns, rows) + "\n")
            return
        console = Console()
    table = Table(box=None, pad_edge=False, show_edge=False)
    for col in columns:
        if col.wide:
            table.add_column(col.header, overflow="fold", ratio=1, justify=col.justify)  # type: ignore[arg-type]
        else:
            table.add_column(col.header, no_wrap=True, justify=col.justify)  # type: ignore[arg-type]
    for i, row in enumerate(rows):
        style = (styles[i] if styles else {}) or {}
        table.add_row(*(Text("" if v is None else str(v), style=style.get(k, ""))
                        for k, v in enumerate(row)))
    console.print(table)
