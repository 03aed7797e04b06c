"""``ministudio validate FILM``, ``ministudio plan FILM [--json]``, ``ministudio init DIR``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import click

from ministudio.cli import AppState, emit_json
from ministudio.cli.options import film_options
from ministudio.cli.words import counted
from ministudio.errors import ConfigError

__all__ = ["init", "plan", "plan_to_json", "validate"]

PLAN_FORMAT = "ministudio.plan/1"


def _problems(state: AppState, film_path: Path, allow_outside_refs: bool,
              provider: str | None = None) -> tuple[Any, list[str]]:
    """Read and validate; every problem as one located line. Raises ConfigError only for a
    file that cannot be read or parsed, and for invalid settings. With ``provider`` every shot
    uses it, and missing credentials of the providers the film then uses are problems too."""
    from ministudio.film.loader import read_film
    from ministudio.film.validate import validate_film

    root = film_path.resolve().parent
    settings = state.settings(root)  # bad settings are refused before the film is read
    film, problems = read_film(film_path, allow_outside_refs=allow_outside_refs)
    if film is not None and provider:
        from ministudio.capabilities import Operation
        from ministudio.engine.render import override_provider

        state.manager(root).get_provider(provider, Operation.CLIP)  # one clear error
        film = override_provider(film, provider)
    if film is not None:
        problems = problems + validate_film(film, state.manager(root), settings)
    if film is not None and provider and not problems:
        from ministudio.compile.planner import plan_film
        from ministudio.preflight import credential_problems, plan_providers

        plan = plan_film(film, state.manager(root), settings)
        problems = [f"credentials: {p}" for p in credential_problems(
            state.manager(root), plan_providers(plan), env=settings.env,
            provider_settings=settings.provider_settings())]
    return film, problems


def _load_checked(state: AppState, film_path: Path, allow_outside_refs: bool,
                  provider: str | None = None) -> tuple[Any, Any, Any]:
    """Read and validate; raise ConfigError listing every problem (the CLI exits 2)."""
    film, problems = _problems(state, film_path, allow_outside_refs, provider)
    if problems or film is None:
        n = len(problems)
        raise ConfigError(
            f"{film_path.name}: {n} problem{'s' if n != 1 else ''}", problems=problems,
            hint="see docs/film-format.md",
        )
    root = film_path.resolve().parent
    return film, state.manager(root), state.settings(root)


@click.command()
@click.argument("film_path", metavar="FILM", type=click.Path(path_type=Path))
@film_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def validate(state: AppState, film_path: Path, allow_outside_refs: bool, as_json: bool,
             provider: str | None) -> None:
    """Check a film: schema, reference files, providers and every shot against its model's
    declared capabilities. Lists every problem; exits 2 if there is one."""
    if as_json:
        from ministudio.errors import MinistudioError, PluginError, ProviderError

        code = 2
        try:
            _, problems = _problems(state, film_path, allow_outside_refs, provider)
        except MinistudioError as exc:  # unreadable, unparseable, bad settings: still JSON
            problems = list(getattr(exc, "problems", ())) or [exc.message]
            code = 1 if isinstance(exc, ProviderError | PluginError) else 2
            emit_json({"film": str(film_path), "ok": False, "error": exc.message,
                       "problems": problems})
            raise SystemExit(code) from None
        emit_json({"film": str(film_path), "ok": not problems, "problems": problems})
        if problems:
            raise SystemExit(code)
        return
    film, _, _ = _load_checked(state, film_path, allow_outside_refs, provider)
    n = sum(len(s.shots) for s in film.scenes)
    click.echo(f"{film_path}: ok ({counted(len(film.scenes), 'scene')}, {counted(n, 'shot')})")


def _rel(path: Path | None, root: Path) -> str | None:
    if path is None:
        return None
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def plan_to_json(plan: Any, root: Path) -> dict[str, Any]:
    """The stable ``plan --json`` document (see docs/plan-json.md). Paths are relative to the
    film's folder when inside it."""
    clips = []
    for s in plan.shots:
        r = s.request
        clips.append({
            "id": s.id,
            "scene": s.scene_id,
            "shot": s.shot_id,
            "segment": s.segment,
            "segments": s.segments,
            "provider": r.provider,
            "model": r.model,
            "duration_s": s.duration_s,
            "duration_source": s.duration_source,
            "continues_from": s.continues_from,
            "prompt": r.prompt,
            "negative_prompt": r.negative_prompt,
            "seed": r.seed,
            "reference_images": [
                {"path": _rel(i.path, root), "role": i.role.value, "label": i.label}
                for i in r.reference_images
            ],
            "first_frame": _rel(r.first_frame, root),
            "last_frame": _rel(r.last_frame, root),
            "generate_audio": r.generate_audio,
            "keep_clip_audio": s.keep_clip_audio,
            "characters": [c.id for c in s.characters],
            "speech": [
                {"kind": ln.kind, "speaker": ln.speaker, "text": ln.text,
                 "provider": ln.request.provider, "voice": ln.request.voice}
                for ln in s.speech
            ],
            "transition": s.transition,
            "transition_s": s.transition_s,
            "estimated_cost": None if s.estimated_cost is None else str(s.estimated_cost),
        })
    return {
        "format": PLAN_FORMAT,
        "title": plan.title,
        "aspect_ratio": plan.aspect_ratio,
        "resolution": plan.resolution,
        "fps": plan.fps,
        "duration_s": plan.duration_s,
        "estimated_cost": str(plan.estimated_cost),
        "currency": plan.currency,
        "clips": clips,
        "voices": [{"speaker": sp, "name": name, "voice": voice}
                   for sp, name, voice in getattr(plan, "voices", ())],
        "warnings": list(plan.warnings),
    }


@click.command()
@click.argument("film_path", metavar="FILM", type=click.Path(path_type=Path, dir_okay=False))
@film_options
@click.option("--json", "as_json", is_flag=True, help="The stable plan document (docs/plan-json.md).")
@click.option("--prompts/--no-prompts", default=True, show_default=True,
              help="Show each clip's compiled prompt.")
@click.pass_obj
def plan(state: AppState, film_path: Path, allow_outside_refs: bool, as_json: bool,
         prompts: bool, provider: str | None) -> None:
    """Show what rendering FILM would do: per clip the provider/model, duration, continuity,
    prompt and cost estimate, and the film's totals. Spends nothing."""
    from ministudio.compile.planner import plan_film

    film, manager, settings = _load_checked(state, film_path, allow_outside_refs, provider)
    result = plan_film(film, manager, settings)
    root = film_path.resolve().parent
    if as_json:
        emit_json(plan_to_json(result, root))
        return
    out = click.echo
    out(f"{result.title}  ({result.aspect_ratio}, {result.resolution}, {result.fps} fps)")
    for s in result.shots:
        r = s.request
        cost = "?" if s.estimated_cost is None else f"{s.estimated_cost:.2f}"
        after = f"after {s.continues_from}" if s.continues_from else "independent"
        out(f"\n{s.id}  {r.provider}/{r.model}  {s.duration_s:g}s ({s.duration_source})  "
            f"{after}  {cost} {result.currency}")
        if r.reference_images:
            out("  references: " + ", ".join(f"{i.label}:{i.path.name}" for i in r.reference_images))
        for line in s.speech:
            who = line.speaker or "narrator"
            out(f"  {line.kind} ({who}, voice {line.request.voice or 'default'}): {line.text}")
        if prompts:
            for text in r.prompt.splitlines():
                out(f"  | {text}")
    out(f"\n{counted(len(result.shots), 'clip')}, {result.duration_s:g}s, estimated "
        f"{result.estimated_cost:.2f} {result.currency}")
    if result.voices:
        out("voices: " + ", ".join(f"{name} → {voice or 'default'}"
                                   for _, name, voice in result.voices))
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)


@click.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--force", is_flag=True, help="Write into a folder that is not empty.")
def init(directory: Path, force: bool) -> None:
    """Scaffold a small example film in DIRECTORY that renders on the offline default."""
    from importlib.resources import as_file, files

    if directory.exists() and any(directory.iterdir()) and not force:
        raise ConfigError(f"{directory} is not empty", hint="pick a new folder, or pass --force")
    source = files("ministudio.film") / "templates"
    with as_file(source) as src:
        for item in sorted(Path(src).rglob("*")):
            if item.is_dir() or item.name.startswith("__") or item.suffix == ".pyc":
                continue
            target = directory / item.relative_to(src)
            if target.exists() and not force:
                raise ConfigError(f"{target} exists", hint="pass --force to overwrite")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(item, target)
    click.echo(f"created {directory / 'film.yaml'}; next: ministudio validate "
               f"{directory / 'film.yaml'} && ministudio plan {directory / 'film.yaml'}")
