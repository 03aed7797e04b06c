"""``ministudio takes FILM SHOT``: a shot's takes, and choosing one for the film (``--pick``)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from ministudio.cli import AppState, emit_json

__all__ = ["takes"]


def _last_shot(film: Path, shot: str, out: Path | None = None) -> dict[str, Any] | None:
    """The shot's record in the last render's manifest (in ``out``, default the film's
    default output folder), with the render's ``production_id``, or None."""
    manifest = (out if out is not None else film.parent / "out" / film.stem) / "manifest.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    found = next((s for s in data.get("shots") or [] if s.get("id") == shot), None)
    return None if found is None else {**found, "production_id": data.get("production_id")}


def _identity(scores: Any) -> str:
    parts = []
    for who, rec in (scores or {}).items():
        if not isinstance(rec, dict) or rec.get("score") is None:
            continue
        mark = " n/a" if rec.get("kind") not in (None, "face") else (
            "✓" if rec.get("passed") else "✗")
        parts.append(f"{rec.get('name') or who} {float(rec['score']):.2f}{mark}")
    return ", ".join(parts)


def _rows(ledger: Any, shot: str, last: dict[str, Any] | None,
          tolerance: float) -> list[dict[str, Any]]:
    from ministudio.engine.picks import current_request, made_for

    kept = ((last or {}).get("take") or {}).get("attempt")
    kept_hash = (last or {}).get("clip_sha256")
    pick = ledger.pick(shot)
    found = ledger.takes(shot)
    if kept is None and kept_hash:  # a manifest from before takes were recorded in it
        kept = next((t.attempt for t in found if Path(t.media).stem == kept_hash), None)
    key, loose, duration = current_request(ledger, (last or {}).get("production_id"), shot,
                                           (last or {}).get("cache_key"))
    return [{
        "attempt": t.attempt, "production": t.production, "started_at": t.started_at,
        "seed": t.seed, "cost": None if t.cost is None else str(t.cost),
        "provider": t.provider, "model": t.model, "media": t.media,
        "duration_s": t.duration_s, "kept": t.attempt == kept,
        "picked": pick is not None and pick.attempt == t.attempt,
        "current": made_for(t, key, loose, duration, tolerance),
        "identity": t.scores or {},
    } for t in found]


def _state(row: dict[str, Any]) -> str:
    words = [w for w, on in (("kept", row["kept"]), ("picked", row["picked"])) if on]
    if not row["current"]:
        words.append("old")
    return ",".join(words)


@click.command("takes")
@click.argument("film", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("shot")
@click.option("--pick", "pick", type=int, metavar="ATTEMPT",
              help="Use this take (its attempt number) for the shot from the next render on.")
@click.option("--unpick", is_flag=True, help="Forget the shot's pick: back to the kept take.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              help="The folder the film was rendered into, for which take it kept "
                   "(default: out/<film name> next to the film).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def takes(state: AppState, film: Path, shot: str, pick: int | None, unpick: bool,
          out: Path | None, as_json: bool) -> None:
    """List every take of SHOT (scene.shot) the project has made, and pick one for the film.

    A take is a delivered clip (all renders, identity-gate attempts included). `kept`: the
    last render's take; `picked`: the one chosen with --pick; `old`: made for an earlier
    version of the shot (a pick of it is ignored while the shot differs). The next render
    uses a picked take without a provider call; the shots continuing from SHOT start from
    its last frame and are generated again."""
    from ministudio.engine.ledger import Ledger
    from ministudio.engine.picks import DURATION_TOLERANCE_S
    from ministudio.errors import ConfigError

    if pick is not None and unpick:
        raise click.UsageError("--pick and --unpick exclude each other")
    if not film.is_file():
        raise click.BadParameter(f"{film}: no such file", param_hint="FILM")
    film = film.resolve()
    path = film.parent / ".ministudio" / "ledger.sqlite"
    if not path.is_file():
        raise ConfigError(f"{film.name} has not been rendered yet: no takes",
                          hint=f"ministudio render {film.name}")
    last = _last_shot(film, shot, out)
    tolerance = float(state.settings(film.parent).get("render.pick_duration_tolerance_s",
                                                      DURATION_TOLERANCE_S) or 0)
    if pick is None and not unpick:
        ledger = Ledger(path, read_only=True)
        try:
            rows = _rows(ledger, shot, last, tolerance)
        finally:
            ledger.close()
        _show(film, shot, rows, as_json)
        return

    ledger = Ledger(path)
    try:
        if unpick:
            had = ledger.clear_pick(shot)
            chosen = None
        else:
            assert pick is not None
            try:
                chosen = ledger.pick_take(shot, pick)
            except KeyError:
                known = [t.attempt for t in ledger.takes(shot)]
                raise ConfigError(
                    f"{shot}: no take {pick}" + (f" (its takes: {', '.join(map(str, known))})"
                                                 if known else " (it has no stored take)"),
                    hint=f"ministudio takes {film.name} {shot}") from None
            had = True
        rows = _rows(ledger, shot, last, tolerance)
    finally:
        ledger.close()
    current = chosen is not None and any(r["current"] for r in rows
                                         if r["attempt"] == chosen.attempt)
    follow, cost, currency = _continuing(state, film, shot)
    if as_json:
        emit_json({"film": film.name, "shot": shot,
                   "picked": None if chosen is None else {"attempt": chosen.attempt,
                                                          "media": chosen.media},
                   "current": current, "unpicked": bool(unpick and had),
                   "regenerates": follow, "estimated_cost": cost, "currency": currency})
        return
    if chosen is None:
        click.echo(f"{shot}: " + ("pick forgotten; the next render uses the kept take" if had
                                  else "had no pick"))
    else:
        click.echo(f"{shot}: take {chosen.attempt} picked; the next render uses it "
                   "(no provider call for this shot)")
        if not current:
            click.echo(f"warning: take {chosen.attempt} was made for another version of "
                       f"{shot} than the last render's: the render ignores the pick while "
                       "the shot differs", err=True)
    if follow and (chosen is not None or had):
        click.echo(f"shots continuing from it start from another frame and are generated "
                   f"again unless cached: {', '.join(follow)} (estimated at most {cost} "
                   f"{currency})")
    click.echo(f"then: ministudio render {film.name}")


def _continuing(state: AppState, film: Path, shot: str) -> tuple[list[str], str | None,
                                                                  str | None]:
    """The shots the next render generates again because SHOT's take changed, their
    estimated cost and currency (unknown when the film cannot be planned)."""
    from decimal import Decimal

    from ministudio.cli.film import _load_checked
    from ministudio.compile.planner import plan_film
    from ministudio.engine.picks import continuing
    from ministudio.errors import MinistudioError

    try:
        loaded, manager, settings = _load_checked(state, film, False)
        result = plan_film(loaded, manager, settings)
    except MinistudioError as exc:
        click.echo(f"warning: cannot plan {film.name} ({exc}); shots continuing from {shot} "
                   "are generated again too", err=True)
        return [], None, None
    follow = continuing(result.shots, shot)
    cost = sum((Decimal(sp.estimated_cost or 0) for sp in follow), Decimal(0))
    return [sp.id for sp in follow], f"{cost:.2f}", result.currency


def _show(film: Path, shot: str, rows: list[dict[str, Any]], as_json: bool) -> None:
    from ministudio.cli.tables import Column, print_table

    if as_json:
        emit_json({"film": film.name, "shot": shot, "takes": rows})
        return
    if not rows:
        click.echo(f"{shot}: no stored take (is the shot id scene.shot? see ministudio plan)")
        return
    columns = [Column("take", justify="right"), Column("made"), Column("seed", justify="right"),
               Column("cost", justify="right"), Column("state"), Column("identity", wide=True)]
    table = [[r["attempt"], datetime.fromtimestamp(r["started_at"]).strftime("%Y-%m-%d %H:%M"),
              "–" if r["seed"] is None else r["seed"],
              "–" if r["cost"] is None else f"{float(r['cost']):.2f}", _state(r),
              _identity(r["identity"])] for r in rows]
    print_table(columns, table)
