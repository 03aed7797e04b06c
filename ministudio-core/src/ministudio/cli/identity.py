"""``ministudio score-identity``: check clips or stills against reference portraits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ministudio.cli import AppState, emit_json

__all__ = ["score_identity"]


def _result(row: dict[str, Any]) -> str:
    """match / below for a face score; n/a when no face scorer applied (a look score
    measures colour and structure, not who it is, so it is not judged here)."""
    if row["kind"] != "face":
        return "[dim]n/a[/]"
    return "[green]match[/]" if row["passed"] else "[red]below[/]"


@click.command("score-identity")
@click.option("--reference", "-r", "references", multiple=True, required=True,
              type=click.Path(path_type=Path), metavar="IMG",
              help="A reference portrait of the character (repeatable).")
@click.argument("media", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--scorer", default=None, metavar="NAME",
              help="Identity scorer to use (e.g. face); default: identity.scorer setting, "
                   "else the best installed one.")
@click.option("--samples", default=8, show_default=True, type=click.IntRange(1, 240),
              help="Frames sampled per clip.")
@click.option("--strict", is_flag=True, help="Exit with status 1 when any input is below threshold.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def score_identity(state: AppState, references: tuple[Path, ...], media: tuple[Path, ...],
                   scorer: str | None, samples: int, strict: bool, as_json: bool) -> None:
    """Score how well each CLIP_OR_IMAGE matches the --reference portraits (0..1).

    Example: ministudio score-identity -r cast/ada.png shots/s01.mp4 shots/s02.mp4
    """
    import asyncio

    from ministudio.dispatch import Dispatcher
    from ministudio.errors import MediaError
    from ministudio.requests import IdentityRequest

    for path in (*references, *media):
        if not path.is_file():
            raise MediaError(f"no such file: {path}")
    settings = state.settings()
    manager = state.manager()
    scorer = scorer or settings.get("identity.scorer")
    dispatcher = Dispatcher(manager, provider_settings=settings.provider_settings(),
                            env=settings.env)

    async def run() -> list[Any]:
        out = []
        for item in media:
            request = IdentityRequest(media=item.resolve(),
                                      references=tuple(r.resolve() for r in references),
                                      samples=samples)
            out.append(await dispatcher.score_identity(request, provider=scorer))
        return out

    results = asyncio.run(run())
    rows = [
        {
            "media": str(item),
            "score": r.score,
            "p10": r.p10,
            "min": r.minimum,
            "threshold": r.threshold,
            "passed": r.passed,
            "kind": r.kind,
            "scorer": r.scorer,
            "frames_used": list(r.frames_used),
            "faces_found": r.faces_found,
            "note": r.note,
        }
        for item, r in zip(media, results, strict=True)
    ]
    if as_json:
        emit_json(rows)
    else:
        from rich.text import Text

        from ministudio.cli.tables import Column, print_table

        # numbers, results and kinds never wrap; the path and the note wrap in their cells
        columns = [Column("MEDIA", wide=True), Column("SCORE", justify="right"),
                   Column("P10", justify="right"), Column("MIN", justify="right"),
                   Column("THRESHOLD", justify="right"), Column("RESULT"), Column("KIND"),
                   Column("FRAMES", justify="right"), Column("NOTE", wide=True)]
        results = [Text.from_markup(_result(row)) for row in rows]
        print_table(columns, [
            [row["media"], f"{row['score']:.3f}", f"{row['p10']:.3f}", f"{row['min']:.3f}",
             f"{row['threshold']:.2f}", res.plain, f"{row['kind']} ({row['scorer']})",
             str(len(row["frames_used"])), row["note"]]
            for row, res in zip(rows, results, strict=True)
        ], styles=[{5: str(res.spans[0].style) if res.spans else ""} for res in results])
    if strict and not all(row["passed"] for row in rows):
        raise click.exceptions.Exit(1)
