"""``ministudio draft "TEXT" -o DIR/film.yaml [--interactive]``: a film file from plain words."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from ministudio.cli import AppState, emit_json
from ministudio.cli.words import counted
from ministudio.errors import ConfigError

__all__ = ["draft"]

_ASPECTS = ("16:9", "9:16", "1:1", "4:5", "21:9")


@click.command()
@click.argument("text", required=False)
@click.option("-o", "--output", "output", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("film.yaml"), show_default=True, help="Where to write the film.")
@click.option("--provider", "draft_provider", default=None, metavar="NAME",
              help="Drafting provider: outline (offline, default), vertex (Gemini), hf.")
@click.option("--model", default=None, help="The drafting provider's model.")
@click.option("--title", default=None, help="The film's title.")
@click.option("--aspect", "aspect_ratio", default=None, metavar="W:H", help="e.g. 16:9 or 9:16.")
@click.option("--style", default=None, help="A look: cinematic, ghibli, storybook, ...")
@click.option("--duration", "duration_s", type=float, default=None, metavar="SECONDS",
              help="Target length of the film.")
@click.option("--rounds", type=click.IntRange(1, 10), default=3, show_default=True,
              help="Repair rounds for a drafter whose answer does not validate.")
@click.option("--portraits/--no-portraits", default=True, show_default=True,
              help="Draw placeholder reference portraits (refs/) for the characters.")
@click.option("-i", "--interactive", is_flag=True,
              help="Ask for what the text left open (title, looks, voices, ...).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option("--json", "as_json", is_flag=True, help="Print what was drafted as JSON.")
@click.pass_obj
def draft(state: AppState, text: str | None, output: Path, draft_provider: str | None,
          model: str | None, title: str | None, aspect_ratio: str | None, style: str | None,
          duration_s: float | None, rounds: int, portraits: bool, interactive: bool,
          force: bool, as_json: bool) -> None:
    """Draft a film file from a description in plain words, offline by default:

        ministudio draft "A lone researcher discovers a glowing orb in the lab. She looks
        amazed and reaches towards it. Duration: 10 seconds. Style: cinematic" -o orb/film.yaml

    The result validates and renders on the offline default (`ministudio render`)."""
    from ministudio.draft import write_draft
    from ministudio.draft.run import draft_async

    if interactive:
        _need_stdin()
    if output.exists() and not force:
        raise ConfigError(f"{output} exists", hint="pass --force to overwrite it, or -o another path")
    if text is None or text == "-":
        if text is None and interactive:
            text = _ask("Describe your film in a few sentences")
        elif text == "-" or not sys.stdin.isatty():
            text = sys.stdin.read()
        else:
            raise ConfigError("nothing to draft", hint='ministudio draft "A fox explores a '
                              'snowy forest at dawn." -o fox/film.yaml')
    directory = output.resolve().parent
    settings = state.settings(directory)
    manager = state.manager(directory)
    hints = {"title": title, "aspect_ratio": aspect_ratio, "style": style,
             "duration_s": duration_s}
    outcome = asyncio.run(draft_async(text or "", provider=draft_provider, model=model,
                                      hints=hints, rounds=rounds, directory=directory,
                                      manager=manager, settings=settings))
    if interactive:
        outcome = _interview(outcome, manager, settings, directory, given=hints)
    write_draft(outcome, output, portraits=portraits, force=force)
    summary = _summary(outcome)
    if as_json:
        emit_json({"film": str(output), **summary})
        return
    click.echo(f"wrote {output}: {outcome.film.title!r}, {counted(summary['shots'], 'shot')}, "
               f"{counted(len(summary['characters']), 'character')}"
               + (f" ({', '.join(summary['characters'])})" if summary["characters"] else "")
               + f", style {summary['style'] or 'none'}"
               + (f", drafted by {outcome.provider} in {counted(outcome.rounds, 'round')}"
                  if outcome.provider != "outline" else ""))
    if portraits and summary["characters"]:
        click.echo("placeholder portraits in refs/: replace them with real ones before a paid "
                   "render", err=True)
    click.echo(f"next: ministudio plan {output} && ministudio render {output}", err=True)


def _summary(outcome: Any) -> dict[str, Any]:
    film = outcome.film
    return {
        "title": film.title,
        "aspect_ratio": film.format.aspect_ratio,
        "style": film.style.preset,
        "characters": [c.name for c in film.characters.values()],
        "environments": list(film.environments),
        "shots": sum(len(s.shots) for s in film.scenes),
        "provider": outcome.provider,
        "rounds": outcome.rounds,
        "open": list(outcome.notes.get("open", [])),
    }


# -- interactive ----------------------------------------------------------------------------------


def _need_stdin() -> None:
    stream = sys.stdin
    if stream is None or stream.closed:
        raise ConfigError("draft --interactive needs answers on stdin, and there is none",
                          hint="run it in a terminal, or drop --interactive and pass --title, "
                          "--aspect, --duration and --style")


def _ask(question: str, default: Any = None, **kwargs: Any) -> Any:
    try:
        return click.prompt(question, default=default, **kwargs)
    except click.exceptions.Abort:  # end of input: no one is there to answer
        raise ConfigError("draft --interactive: stdin ended before every question was answered",
                          hint="answer in a terminal, or drop --interactive and pass --title, "
                          "--aspect, --duration and --style") from None


def _interview(outcome: Any, manager: Any, settings: Any, directory: Path,
               given: dict[str, Any]) -> Any:
    """Ask only for what the text left open (every question has a default), show the plan
    and its cost estimate, and return the outcome with the answers applied."""
    import attrs

    from ministudio.compile.planner import plan_film
    from ministudio.draft.run import check_data
    from ministudio.film.presets import STYLE_PRESETS

    data = _copy(outcome.data)
    open_ = set(outcome.notes.get("open", ()))
    film = outcome.film
    click.echo(f"drafted {counted(sum(len(s.shots) for s in film.scenes), 'shot')} in "
               f"{counted(len(film.environments), 'place')} with "
               f"{counted(len(film.characters), 'character')}; a few questions "
               "(Enter keeps the default):")
    if "title" in open_ and not given.get("title"):
        data["title"] = _ask("Title", default=data["title"])
    if "aspect_ratio" in open_ and not given.get("aspect_ratio"):
        data["format"] = {**data.get("format", {}), "aspect_ratio": _ask(
            "Aspect ratio", default="16:9", type=click.Choice(_ASPECTS))}
    if "style" in open_ and not given.get("style"):
        current = data.get("style", {}).get("preset") or "cinematic"
        data["style"] = {**data.get("style", {}), "preset": _ask(
            "Style", default=current, type=click.Choice(sorted(STYLE_PRESETS)))}
    voices = _voices(manager, settings)
    for cid, entry in data.get("characters", {}).items():
        name = entry.get("name", cid)
        if f"characters.{cid}.look" in open_:
            look = _ask(f"{name}: looks (hair, face, clothes)", default="", show_default=False)
            if look.strip():
                entry["description"] = f"{entry.get('description', '')}, {look.strip()}".strip(", ")
        if f"characters.{cid}.voice" in open_ and voices:
            voice = _ask(f"{name}: voice ({', '.join(voices[:6])}{', ...' if len(voices) > 6 else ''})",
                         default="auto", type=click.Choice(["auto", *voices]), show_choices=False)
            if voice != "auto":
                entry["voice"] = {"id": voice}
        if f"characters.{cid}.references" in open_:
            ref = _ask(f"{name}: reference portrait (an image path; Enter draws a placeholder)",
                       default="", show_default=False)
            if ref.strip():
                path = Path(ref.strip()).expanduser()
                if not path.is_absolute():
                    path = (Path.cwd() / path).resolve()
                try:
                    entry["references"] = [path.relative_to(directory).as_posix()]
                except ValueError:
                    click.echo(f"  {ref.strip()} is outside {directory}; copy it there first. "
                               "Using a placeholder.", err=True)
    target = None
    if "duration_s" in open_ and not given.get("duration_s"):
        planned = plan_film(film, manager, settings).duration_s
        target = _ask("Target length in seconds", default=round(planned, 1),
                      type=click.FloatRange(1, 600))
        if abs(target - planned) > 0.05:
            _fit_length(data, target, planned)
    film, problems = check_data(data, directory, manager, settings)
    if problems or film is None:
        raise ConfigError("the answers made the film invalid", problems=problems)
    plan = plan_film(film, manager, settings)
    click.echo(f"\nplan: {film.title!r} ({film.format.aspect_ratio}), "
               f"{counted(len(plan.shots), 'clip')}, {plan.duration_s:g}s, estimated "
               f"{plan.estimated_cost:.2f} {plan.currency}")
    for sp in plan.shots:
        click.echo(f"  {sp.id}  {sp.duration_s:g}s  {sp.request.provider}  "
                   f"{sp.request.direction.get('action', '')}")
    if not click.confirm("Write the film?", default=True):
        raise click.exceptions.Exit(1)
    return attrs.evolve(outcome, film=film, data=data, warnings=tuple(plan.warnings))


def _voices(manager: Any, settings: Any) -> list[str]:
    from ministudio.capabilities import Operation

    name = settings.get("defaults.speech_provider")
    try:
        spec = manager.get_provider(name, Operation.SPEECH) if name else None
        return [v.id for v in spec.speech_model(None).voices] if spec else []
    except Exception:  # noqa: BLE001 - no speech provider: no voice question
        return []


def _fit_length(data: dict[str, Any], target: float, planned: float) -> None:
    """Scale the silent shots' seconds so the film lasts about ``target``."""
    shots = [sh for sc in data["scenes"] for sh in sc["shots"]
             if isinstance(sh.get("duration"), int | float)]
    fixed = sum(sh["duration"] for sh in shots)
    if not shots or fixed <= 0:
        return
    factor = max(0.1, (target - (planned - fixed)) / fixed)
    for sh in shots:
        sh["duration"] = max(1.0, round(sh["duration"] * factor * 2) / 2)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value
