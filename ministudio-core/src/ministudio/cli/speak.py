"""``ministudio speak`` (audition a voice) and ``ministudio voices`` (list them)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import click

from ministudio.cli import AppState, emit_json

__all__ = ["speak", "voices"]


@click.command()
@click.argument("text")
@click.option("-p", "--provider", default="piper", show_default=True, help="Speech provider.")
@click.option("-m", "--model", default=None, help="Speech model (default: the provider's).")
@click.option("--voice", default=None, help="Voice id (see `ministudio voices`).")
@click.option("--language", default=None, help="Language, e.g. en-US or fr.")
@click.option("--rate", type=float, default=1.0, show_default=True, help="Speed factor.")
@click.option("--pitch", type=float, default=0.0, show_default=True, help="Pitch shift, semitones.")
@click.option("--instructions", default=None, help="Delivery instructions (tone, emotion).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="WAV file to write.")
@click.option("--json", "as_json", is_flag=True, help="Print the result (with word timings) as JSON.")
@click.pass_obj
def speak(state: AppState, text: str, provider: str, model: str | None, voice: str | None,
          language: str | None, rate: float, pitch: float, instructions: str | None,
          output: Path, as_json: bool) -> None:
    """Speak TEXT with a provider's voice into a WAV file (to audition voices)."""
    import attrs

    from ministudio.converter import unstructure
    from ministudio.dispatch import Dispatcher
    from ministudio.requests import SpeechRequest

    settings = state.settings()
    problems = [p for p in state.manager().settings_problems(settings)
                if f"[providers.{provider}] " in p]
    if problems:
        from ministudio.errors import ConfigError

        raise ConfigError(problems[0] if len(problems) == 1
                          else f"[providers.{provider}]: {len(problems)} problems",
                          problems=problems if len(problems) > 1 else (),
                          hint=f"`ministudio providers show {provider}` lists its settings")
    request = SpeechRequest(provider=provider, text=text, model=model, voice=voice,
                            language=language, rate=rate, pitch=pitch, instructions=instructions)
    dispatcher = Dispatcher(state.manager(), env=settings.env,
                            provider_settings={provider: dict(settings.provider(provider))})
    output.parent.mkdir(parents=True, exist_ok=True)
    work = output.parent / f".{output.name}.work"
    try:
        result = asyncio.run(dispatcher.synthesize_speech(request, workdir=work))
        shutil.move(str(result.path), output)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = attrs.evolve(result, path=output.resolve())
    if as_json:
        emit_json(unstructure(result))
        return
    click.echo(f"{output}  {result.duration_s:.3f} s  {result.sample_rate} Hz  "
               f"{result.provider}/{result.model} voice {result.voice}  "
               f"{len(result.words)} words ({result.timing_source} timings)")


@click.command()
@click.option("-p", "--provider", default=None, help="Only this provider.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def voices(state: AppState, provider: str | None, as_json: bool) -> None:
    """The voices each speech provider declares (provider, model, voice, language, gender)."""
    from ministudio.capabilities import Operation

    manager = state.manager()
    specs = [manager.get_provider(provider, Operation.SPEECH)] if provider else manager.providers(
        Operation.SPEECH)
    rows = []
    for spec in specs:
        for m in spec.speech_models:
            if not m.voices:
                rows.append({"provider": spec.name, "model": m.id, "voice": "*",
                             "language": ",".join(m.languages) or "*", "gender": None,
                             "description": m.notes or "any voice name the service offers"})
            for v in m.voices:
                rows.append({"provider": spec.name, "model": m.id, "voice": v.id,
                             "language": v.language, "gender": v.gender,
                             "description": v.description})
    if as_json:
        emit_json(rows)
        return
    from ministudio.cli.tables import Column, print_table

    print_table([Column("PROVIDER"), Column("MODEL"), Column("VOICE"), Column("LANGUAGE"),
                 Column("GENDER"), Column("DESCRIPTION", wide=True)],
                [[r["provider"], r["model"], r["voice"], r["language"], r["gender"] or "-",
                  r["description"]] for r in rows])
