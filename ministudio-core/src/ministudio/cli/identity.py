"""``ministudio score-identity``: check clips or stills against reference portraits."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import click

from ministudio.cli import AppState, emit_json

__all__ = ["Calibration", "calibrate_threshold", "score_identity"]

_IMAGES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}


def _result(row: dict[str, Any]) -> str:
    """match / below for a face score; n/a when no face scorer applied (a look score
    measures colour and structure, not who it is, so it is not judged here)."""
    if row["kind"] != "face":
        return "[dim]n/a[/]"
    return "[green]match[/]" if row["passed"] else "[red]below[/]"


@attrs.frozen(kw_only=True)
class Calibration:
    """ROC summary of same-character vs different-character similarities."""

    auc: float
    threshold: float
    far: float  #: false accepts (different characters at or above threshold) / different pairs
    frr: float  #: false rejects (same character below threshold) / same pairs
    same: int
    different: int


def calibrate_threshold(same: Sequence[float], different: Sequence[float]) -> Calibration:
    """ROC AUC (ties count half) and the threshold with the fewest false accepts plus false
    rejects (the midpoint between the two scores it falls between, ties: the lowest)."""
    import numpy as np

    s, d = np.asarray(same, dtype=float), np.asarray(different, dtype=float)
    if not s.size or not d.size:
        raise ValueError("calibration needs same-character and different-character pairs")
    auc = float(((s[:, None] > d[None, :]).sum() + 0.5 * (s[:, None] == d[None, :]).sum())
                / (s.size * d.size))
    values = np.unique(np.concatenate([s, d]))
    cands = np.concatenate([[values[0] - 1e-3], (values[:-1] + values[1:]) / 2,
                            [values[-1] + 1e-3]])
    errors = [((d >= t).mean() + (s < t).mean(), t) for t in cands]
    best = min(e for e, _ in errors)
    t = float(next(t for e, t in errors if e == best))
    return Calibration(auc=round(auc, 4), threshold=round(t, 4),
                       far=round(float((d >= t).mean()), 4), frr=round(float((s < t).mean()), 4),
                       same=int(s.size), different=int(d.size))


def _calibration_set(ref_dir: Path) -> dict[str, list[Path]]:
    from ministudio.errors import MediaError

    if not ref_dir.is_dir():
        raise MediaError(f"not a folder: {ref_dir}",
                         hint="--calibrate takes a folder with one subfolder of images per character")
    chars = {d.name: sorted(p for p in d.iterdir() if p.suffix.lower() in _IMAGES)
             for d in sorted(ref_dir.iterdir()) if d.is_dir()}
    chars = {c: imgs for c, imgs in chars.items() if imgs}
    if len(chars) < 2 or not any(len(v) >= 2 for v in chars.values()):
        raise MediaError(
            f"{ref_dir}: calibration needs at least two characters and two images of one of them",
            hint="make one subfolder per character (e.g. refs/mira/, refs/theo/) with its portrait "
                 "and frames of it from shots you approved")
    return chars


@click.command("score-identity")
@click.option("--reference", "-r", "references", multiple=True,
              type=click.Path(path_type=Path), metavar="IMG",
              help="A reference portrait of the character (repeatable).")
@click.argument("media", nargs=-1, type=click.Path(path_type=Path))
@click.option("--calibrate", "calibrate", default=None, type=click.Path(path_type=Path),
              metavar="REF_DIR",
              help="Choose a face threshold for your film: REF_DIR has one subfolder of images "
                   "per character; every image is scored against every character's others.")
@click.option("--scorer", default=None, metavar="NAME",
              help="Identity scorer to use (e.g. face); default: identity.scorer setting, "
                   "else the best installed one.")
@click.option("--samples", default=8, show_default=True, type=click.IntRange(1, 240),
              help="Frames sampled per clip.")
@click.option("--strict", is_flag=True,
              help="Exit with status 1 unless every input is a face match (a look score, "
                   "when no face was found, is not).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def score_identity(state: AppState, references: tuple[Path, ...], media: tuple[Path, ...],
                   calibrate: Path | None, scorer: str | None, samples: int, strict: bool,
                   as_json: bool) -> None:
    """Score how well each CLIP_OR_IMAGE matches the --reference portraits (0..1).

    Example: ministudio score-identity -r cast/ada.png shots/s01.mp4 shots/s02.mp4
    """
    import asyncio

    from ministudio.dispatch import Dispatcher
    from ministudio.errors import MediaError
    from ministudio.requests import IdentityRequest

    if calibrate is None and (not references or not media):
        raise click.UsageError("give --reference IMG and at least one clip or image "
                               "(or --calibrate REF_DIR)")
    for path in (*references, *media):
        if not path.is_file():
            raise MediaError(f"no such file: {path}")
    settings = state.settings()
    manager = state.manager()
    scorer = scorer or settings.get("identity.scorer")
    dispatcher = Dispatcher(manager, provider_settings=settings.provider_settings(),
                            env=settings.env)

    if calibrate is not None:
        _run_calibration(dispatcher, _calibration_set(calibrate), scorer, samples, as_json)
        return

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
            # a face match or not; None when no face scorer applied (a look score)
            "passed": r.passed if r.kind == "face" else None,
            "kind": r.kind,
            "scorer": r.scorer,
            "frames_used": list(r.frames_used),
            "faces_found": r.faces_found,
            "boxes": [list(b) for b in getattr(r, "boxes", ())],
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
    if strict and not all(row["passed"] is True for row in rows):
        raise click.exceptions.Exit(1)


def _run_calibration(dispatcher: Any, chars: dict[str, list[Path]], scorer: str | None,
                     samples: int, as_json: bool) -> None:
    """Score every image against every character's other images (leave-one-out) and print
    the ROC AUC, the threshold with the fewest errors and its false accept/reject rates."""
    import asyncio

    from ministudio.errors import MediaError
    from ministudio.requests import IdentityRequest

    async def run() -> tuple[list[float], list[float], int]:
        same: list[float] = []
        diff: list[float] = []
        no_face = 0
        for owner, images in chars.items():
            for img in images:
                for char, refs in chars.items():
                    others = [r for r in refs if r != img]
                    if not others:
                        continue
                    r = await dispatcher.score_identity(IdentityRequest(
                        media=img.resolve(), references=tuple(p.resolve() for p in others),
                        character=char, samples=samples), provider=scorer)
                    # a look score is no face match: it counts as the lowest similarity
                    value = float(r.score) if r.kind == "face" else 0.0
                    no_face += r.kind != "face"
                    (same if char == owner else diff).append(value)
        return same, diff, no_face

    same, diff, no_face = asyncio.run(run())
    try:
        cal = calibrate_threshold(same, diff)
    except ValueError as exc:
        raise MediaError(str(exc), hint="add a second image of at least one character") from None
    if as_json:
        emit_json({**attrs.asdict(cal), "no_face": no_face})
        return
    click.echo(f"{cal.same} same-character and {cal.different} different-character pairs "
               f"({no_face} without a face match, counted as 0)")
    click.echo(f"ROC AUC {cal.auc:.3f}; threshold {cal.threshold:.3f}: "
               f"false accepts {cal.far:.1%}, false rejects {cal.frr:.1%}")
    click.echo(f"to use it: [providers.face] threshold = {cal.threshold:.2f}  "
               "(or identity.threshold in ministudio.toml)")
