"""``ministudio render FILM``: produce the finished film (see ``docs/render.md``)."""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click

from ministudio.cli.options import film_options

__all__ = ["render"]


def _money(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not an amount, e.g. 12.50") from None
    if amount < 0:
        raise click.BadParameter("must be 0 or more")
    return amount


@click.command("render")
@click.argument("film", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: out/<film name> next to the film).")
@click.option("--max-cost", callback=_money, metavar="USD",
              help="Stop before spending more than this in this render.")
@click.option("--concurrency", type=click.IntRange(min=1), help="Provider calls at once.")
@click.option("--dry-run", is_flag=True, help="Plan and print the estimated cost; spend nothing.")
@click.option("--force", multiple=True, metavar="SHOT",
              help="Generate this shot again even if cached (repeatable; scene.shot or shot id).")
@click.option("--allow-gaps", is_flag=True,
              help="Assemble even when shots fail, with a visible slate card in their place.")
@click.option("--json", "as_json", is_flag=True,
              help="Stream progress events as JSON lines on stdout.")
@click.option("--yes", "-y", "yes", is_flag=True,
              help="Spend the estimated cost without asking (for scripts).")
@film_options
@click.pass_obj
def render(state, film: Path, out: Path | None, provider: str | None, max_cost: Decimal | None,
           concurrency: int | None, dry_run: bool, force: tuple[str, ...], allow_gaps: bool,
           as_json: bool, allow_outside_refs: bool, yes: bool) -> None:
    """Render FILM into a finished film, its subtitles, manifest, report and timeline."""
    from ministudio.engine import RenderFailedError
    from ministudio.engine import render as run
    from ministudio.engine.progress import JsonLines, LiveDisplay
    from ministudio.errors import MinistudioError

    if not film.is_file():
        raise click.BadParameter(f"{film}: no such file", param_hint="FILM")
    project = film.resolve().parent
    if out is not None:  # a bad --out is refused before plugins load or anything is spent
        from ministudio.engine.outdir import check_out_dir

        check_out_dir(out, project=project, create=False)
    settings = state.settings(project)
    manager = state.manager(project)
    kwargs = dict(out=out, provider=provider, max_cost=max_cost, concurrency=concurrency,
                  dry_run=dry_run, force=force, allow_gaps=allow_gaps,
                  allow_outside_refs=allow_outside_refs, manager=manager,
                  settings=settings)
    if not dry_run:
        _confirm_spend(run, film, kwargs, settings, yes=yes)
    try:
        if as_json:
            emit = JsonLines(sys.stdout)
            result = run(film, emit=emit, **kwargs)
        elif dry_run:
            result = run(film, **kwargs)
        else:
            with LiveDisplay() as display:
                result = run(film, emit=display, **kwargs)
    except RenderFailedError as exc:
        if as_json:
            JsonLines(sys.stdout)({"event": "error", "message": str(exc)})
        click.echo(f"error: {exc}", err=True)
        if exc.hint:
            click.echo(f"hint: {exc.hint}", err=True)
        sys.exit(1)
    except MinistudioError:
        raise
    if dry_run:
        _print_plan(result, as_json)
        return
    if not as_json:
        click.echo(
            f"{result.status}: {result.film}  ({len(result.shots)} shots, "
            f"{result.provider_calls} provider calls, cost {result.actual_cost:.2f} "
            f"{result.currency} of ~{result.estimated_cost:.2f} estimated, "
            f"{result.wall_s:.1f} s"
            + (": " + ", ".join(f"{k} {v:.1f}" for k, v in result.phases_s.items())
               if result.phases_s else "") + ")"
        )
        for name in ("report", "manifest", "timeline", "srt"):
            if name in result.files:
                click.echo(f"  {name:9} {result.files[name]}")


def _confirm_spend(run, film: Path, kwargs: dict, settings, *, yes: bool) -> None:  # type: ignore[no-untyped-def]
    """Before a paid render: check credentials, show the estimate, and ask (on a terminal).

    Free renders, ``--yes`` and a spending cap (``--max-cost`` / ``render.max_cost``) go ahead;
    without a terminal and without either, refuse with how to proceed (exit 2)."""
    from ministudio.cli.words import counted

    preview = run(film, **{**kwargs, "dry_run": True}, check_credentials=True)
    estimate = Decimal(preview.estimated_cost)
    if estimate <= 0 or yes:
        return
    cap = kwargs.get("max_cost")
    if cap is None:
        cap = settings.get("render.max_cost")
    if cap is not None:
        return
    paid = sorted({s.request.provider for s in preview.plan.shots
                   if s.estimated_cost is None or s.estimated_cost > 0})
    what = (f"this render is estimated at {estimate:.2f} {preview.currency} "
            f"({counted(len(preview.plan.shots), 'shot')} on {', '.join(paid) or 'paid providers'}; "
            "cached shots cost nothing)")
    if not sys.stdin.isatty():
        click.echo(f"error: {what}; nothing was spent", err=True)
        click.echo("hint: pass --yes to spend it, or --max-cost USD to cap what this render "
                   "may spend", err=True)
        sys.exit(2)
    if not click.confirm(f"{what}. Spend it?", default=False, err=True):
        click.echo("nothing was spent", err=True)
        sys.exit(1)


def _print_plan(result, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    plan = result.plan
    if as_json:
        from ministudio.engine.progress import JsonLines

        JsonLines(sys.stdout)({
            "event": "plan", "title": plan.title, "shots": len(plan.shots),
            "estimated_cost": str(plan.estimated_cost), "currency": plan.currency,
            "per_shot": [{"id": s.id, "provider": s.request.provider, "model": s.request.model,
                          "duration_s": s.duration_s,
                          "estimated_cost": None if s.estimated_cost is None
                          else str(s.estimated_cost)} for s in plan.shots],
        })
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{plan.title}: dry run (nothing is spent)", title_justify="left")
    for col in ("shot", "provider/model", "duration", "after", "estimate"):
        table.add_column(col)
    for s in plan.shots:
        table.add_row(s.id, f"{s.request.provider}/{s.request.model}", f"{s.duration_s:g} s",
                      s.continues_from or "", "?" if s.estimated_cost is None
                      else f"{s.estimated_cost:.2f}")
    console = Console()
    console.print(table)
    console.print(f"estimated cost: {plan.estimated_cost:.2f} {plan.currency} "
                  "(speech may change `auto` durations)")
    for w in plan.warnings:
        console.print(f"[yellow]warning:[/] {w}")
