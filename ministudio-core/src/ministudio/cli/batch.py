"""``ministudio batch SOURCE...``: render many films at once (see ``docs/batch.md``)."""

from __future__ import annotations

import sys
from decimal import Decimal

import click

from ministudio.cli.render import _money

__all__ = ["batch"]


@click.command("batch")
@click.argument("sources", nargs=-1, required=True)
@click.option("--out", "out", metavar="DIR|URL",
              help="Deliver every film under this folder or fsspec URL (s3://bucket/prefix/, "
                   "gs://...), in <out>/<film name>/. Default: out/<film name> next to each film.")
@click.option("--executor", default="local", show_default=True, metavar="NAME[://ADDRESS]",
              help="local, dask (a LocalCluster), dask://scheduler:8786, ray.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), metavar="N",
              help="Films (projects) at once (default: local 2, dask the workers' threads).")
@click.option("--workers", type=click.IntRange(min=1), metavar="N",
              help="Worker processes of the dask LocalCluster, or Ray actors.")
@click.option("--max-cost", callback=_money, metavar="USD",
              help="Budget of the whole batch: a film starts only while its estimate fits.")
@click.option("--provider", metavar="NAME",
              help="Video provider for every shot of films whose manifest entry names none.")
@click.option("--concurrency", type=click.IntRange(min=1),
              help="Provider calls at once within each film.")
@click.option("--allow-gaps", is_flag=True, help="Assemble films even when shots fail.")
@click.option("--dry-run", is_flag=True,
              help="Plan every film and print its estimated cost; spend nothing.")
@click.option("--json", "as_json", is_flag=True,
              help="Stream events as JSON lines on stdout (the summary is the last one).")
@click.option("--yes", "-y", "yes", is_flag=True,
              help="Spend the estimated cost without asking (for scripts).")
@click.pass_obj
def batch(state, sources: tuple[str, ...], out: str | None, executor: str, jobs: int | None,
          workers: int | None, max_cost: Decimal | None, provider: str | None,
          concurrency: int | None, allow_gaps: bool, dry_run: bool, as_json: bool,
          yes: bool) -> None:
    """Render every film SOURCES name: film files, folders, globs, or a manifest (films plus
    overrides such as language, voice and provider). A failed film never stops the others;
    a rerun renders only what is missing."""
    from ministudio.batch import collect_jobs, run_batch
    from ministudio.engine.progress import JsonLines

    manifest = collect_jobs(sources)
    if provider:
        import attrs

        manifest = attrs.evolve(manifest, jobs=tuple(
            j if j.provider else attrs.evolve(j, provider=provider) for j in manifest.jobs))
    if dry_run:
        _print_estimates(manifest, state.overrides, as_json)
        return
    if max_cost is None:
        max_cost = manifest.max_cost
    if max_cost is None and not yes:
        _confirm_spend(manifest, state.overrides)
    options = {}
    if workers:
        options = {"n_workers": workers} if executor.split("://")[0] == "dask" else \
            {"actors": workers}
    lines = JsonLines(sys.stdout) if as_json else None

    def emit(event: dict) -> None:  # type: ignore[type-arg]
        if lines is not None:
            lines(event)
        elif event.get("event") in ("film.done", "film.failed", "film.skipped"):
            what = event.get("status") or event["event"].split(".")[1]
            note = event.get("delivered") or event.get("file") or event.get("reason") or ""
            click.echo(f"{what:>8}  {event['film']}  {note}".rstrip().splitlines()[0], err=True)

    summary = run_batch(manifest, out=out, executor=executor, jobs=jobs, max_cost=max_cost,
                        provider=provider, overrides=state.overrides, concurrency=concurrency,
                        allow_gaps=allow_gaps, executor_options=options, emit=emit)
    if not as_json:
        _print_summary(summary)
    sys.exit(0 if summary.ok else 1)


def _confirm_spend(manifest, overrides) -> None:  # type: ignore[no-untyped-def]
    """Without ``--max-cost``/``--yes``: a batch estimated above zero asks on a terminal and is
    refused without one (as ``render`` does)."""
    from ministudio.batch import estimate_jobs

    estimates = estimate_jobs(manifest.jobs, overrides=tuple(overrides))
    total = sum((v for v in estimates.values() if isinstance(v, Decimal)), Decimal(0))
    if total <= 0:
        return
    what = f"this batch is estimated at {total:.2f} USD (cached shots cost nothing)"
    if not sys.stdin.isatty():
        click.echo(f"error: {what}; nothing was spent", err=True)
        click.echo("hint: pass --yes to spend it, or --max-cost USD to cap the whole batch",
                   err=True)
        sys.exit(2)
    if not click.confirm(f"{what}. Spend it?", default=False, err=True):
        click.echo("nothing was spent", err=True)
        sys.exit(1)


def _print_estimates(manifest, overrides, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    """``--dry-run``: every film's estimate (or why it cannot render) and the total; exit 2
    when a film cannot render."""
    from ministudio.batch import estimate_jobs

    estimates = estimate_jobs(manifest.jobs, overrides=tuple(overrides))
    total = sum((v for v in estimates.values() if isinstance(v, Decimal)), Decimal(0))
    bad = {name: v for name, v in estimates.items() if not isinstance(v, Decimal)}
    if as_json:
        from ministudio.cli import emit_json

        emit_json({"films": [{"film": j.name, "path": j.source or str(j.film),
                              "estimated_cost": None if j.name in bad else str(estimates[j.name]),
                              "error": str(bad[j.name]) if j.name in bad else None}
                             for j in manifest.jobs],
                   "estimated_cost": str(total), "currency": "USD"})
    else:
        for job in manifest.jobs:
            value = estimates[job.name]
            note = f"{value:.2f} USD" if isinstance(value, Decimal) else \
                "cannot render: " + str(value).splitlines()[0]
            click.echo(f"{job.name:24} {note}")
        click.echo(f"estimated cost: {total:.2f} USD for {len(manifest.jobs) - len(bad)} films "
                   "(cached shots cost nothing; nothing was spent)")
    if bad:
        sys.exit(2)


def _print_summary(summary) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"batch on {summary.executor}", title_justify="left")
    for col in ("film", "status", "calls", "cost", "where / why"):
        table.add_column(col, overflow="fold")
    for f in summary.films:
        where = f.delivered or f.file or f.out or ""
        why = (f.reason or "").splitlines()[0] if f.reason else ""
        table.add_row(f.name, f.status, str(f.provider_calls), f"{f.cost:.2f}",
                      why if not f.ok else str(where))
    console = Console()
    console.print(table)
    data = summary.to_json()
    console.print(f"{data['done']} done, {data['failed']} failed, {data['skipped']} skipped · "
                  f"cost {summary.cost:.2f} {summary.currency}"
                  + (f" of --max-cost {summary.max_cost:.2f}" if summary.max_cost is not None
                     else "") + f" · {summary.wall_s:.1f} s")

