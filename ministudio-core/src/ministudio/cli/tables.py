"""Tables on stdout that read well at any width.

On a terminal: a rich table as wide as the terminal, where short columns (names, numbers,
statuses) never wrap and only the columns marked ``wide`` (notes, descriptions, paths) wrap
inside their cell; when too little room is left for them, each row's wide values go on
indented lines under it, wrapped at the terminal's width. Piped or redirected: plain aligned text with every value in full and
nothing wrapped or cut, so ``grep``/``cut`` see whole values.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import attrs

__all__ = ["Column", "print_table", "render_plain"]

#: below this many characters left for the wide columns, they go on lines of their own
MIN_WIDE = 24


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
    if console is None and not sys.stdout.isatty():  # plain text needs no rich (cold start)
        sys.stdout.write(render_plain(columns, rows) + "\n")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    if console is None:
        console = Console()
    text_rows = [["" if v is None else str(v) for v in r] for r in rows]
    narrow = [i for i, c in enumerate(columns) if not c.wide]
    wide = [i for i, c in enumerate(columns) if c.wide]
    need = sum(max(len(columns[i].header), *(len(r[i]) for r in text_rows)) for i in narrow) \
        + 2 * (len(columns) - 1)
    if wide and need + MIN_WIDE * len(wide) > console.width:
        _print_stacked(console, columns, text_rows, narrow, wide, styles)
        return
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


def _print_stacked(console: Any, columns: Sequence[Column], rows: list[list[str]],
                   narrow: list[int], wide: list[int],
                   styles: Sequence[dict[int, str]] | None) -> None:
    import textwrap

    from rich.text import Text

    widths = {i: max(len(columns[i].header), *(len(r[i]) for r in rows)) for i in narrow}

    def line(values: list[str], style: dict[int, str]) -> Text:
        out = Text()
        for k, i in enumerate(narrow):
            cell = values[i].rjust(widths[i]) if columns[i].justify == "right" \
                else values[i].ljust(widths[i])
            out.append(("  " if k else "") + cell, style=style.get(i, ""))
        out.rstrip()
        return out

    console.print(line([c.header for c in columns], {}), soft_wrap=True)
    for n, values in enumerate(rows):
        console.print(line(values, (styles[n] if styles else {}) or {}), soft_wrap=True)
        for i in wide:
            if values[i]:
                console.print(textwrap.fill(values[i], width=max(20, console.width - 1),
                                            initial_indent="    ", subsequent_indent="    ",
                                            break_on_hyphens=False),
                              soft_wrap=True, markup=False, highlight=False)
