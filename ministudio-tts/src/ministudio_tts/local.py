"""The two offline providers, ``piper`` and ``espeak``: request in, WAV + word timings out."""

from __future__ import annotations

from ministudio.context import CallContext
from ministudio.errors import CapabilityError
from ministudio.requests import SpeechRequest, SpeechResult

from ministudio_tts.audio import Envelope, write_wav
from ministudio_tts.common import no_pitch, output_path
from ministudio_tts.text import tokenize
from ministudio_tts.timing import ends_from_starts, estimate, finalize
from ministudio_tts.voices import VARIANTS

__all__ = ["speak"]


def speak(request: SpeechRequest, context: CallContext) -> SpeechResult:
    if request.provider == "piper":
        return _piper(request, context)
    return _espeak(request, context)


def _tokens(request: SpeechRequest) -> list:  # type: ignore[type-arg]
    tokens = tokenize(request.text)
    if not tokens:
        raise CapabilityError(f"{request.provider}: nothing speakable in the text",
                              provider=request.provider)
    return tokens


def _piper(request: SpeechRequest, context: CallContext) -> SpeechResult:
    from ministudio_tts.engines import piper

    no_pitch(request)
    tokens = _tokens(request)
    voice = request.voice or piper.DEFAULT_VOICE
    base, _, variant = voice.partition("+")
    if variant and variant not in VARIANTS:
        raise CapabilityError(f"piper has no voice {voice!r}", provider="piper",
                              hint="`ministudio voices --provider piper` lists them")
    # variant: another speaker, the same voice through a pitch + formant transform
    syn = piper.synthesize(request.text, tokens, voice=base, rate=request.rate,
                           variant=variant or None)
    path = output_path(request, context)
    duration = write_wav(path, syn.samples, syn.sample_rate)
    source = "native"
    spans = syn.spans
    if spans is None:  # the model gave no alignments: estimate from the audio
        spans = estimate(tokens, Envelope(syn.samples, syn.sample_rate))  # type: ignore[assignment]
        source = "estimated"
    context.log.info("speech.done", voice=voice, seconds=round(duration, 3), words=len(tokens))
    return SpeechResult(path=path, provider="piper", sample_rate=syn.sample_rate,
                        duration_s=duration, words=finalize(tokens, spans, duration),  # type: ignore[arg-type]
                        timing_source=source, voice=voice, model=request.model or "piper")


def espeak_voice(request: SpeechRequest) -> str:
    if request.voice:
        return request.voice
    if request.language:
        from ministudio_tts._espeak_voices import VOICES

        lang = request.language.lower()
        for vid, bcp, _ in VOICES:
            if lang in (vid, bcp.lower()):
                return vid
        for vid, bcp, _ in VOICES:
            if bcp.lower().split("-")[0] == lang.split("-")[0]:
                return vid
    return "en-us"


def _espeak_name(voice: str) -> str:
    """The name espeak_SetVoiceByName takes (the voice file, e.g. ``fr``) for our voice id
    (its language code, e.g. ``fr-fr``), keeping a ``+variant`` suffix."""
    from ministudio_tts._espeak_voices import VOICES

    base, plus, variant = voice.partition("+")
    for vid, ident, _ in VOICES:
        if vid == base:
            return f"{ident}{plus}{variant}"
    return voice


def _espeak(request: SpeechRequest, context: CallContext) -> SpeechResult:
    from ministudio_tts.engines import espeak

    tokens = _tokens(request)
    voice = espeak_voice(request)
    syn = espeak.synthesize(request.text, voice=_espeak_name(voice), rate=request.rate,
                            pitch=request.pitch)
    path = output_path(request, context)
    duration = write_wav(path, syn.samples, syn.sample_rate)
    starts: list[float | None] = [None] * len(tokens)
    ti = 0
    for char_pos, sample in syn.words:  # events come in text order
        pos = char_pos - 1
        while ti < len(tokens) and pos >= tokens[ti].end:
            ti += 1
        if ti == len(tokens):
            break
        if pos >= tokens[ti].start and starts[ti] is None:
            starts[ti] = sample / syn.sample_rate
    ends = ends_from_starts(starts, Envelope(syn.samples, syn.sample_rate))
    context.log.info("speech.done", voice=voice, seconds=round(duration, 3), words=len(tokens))
    return SpeechResult(path=path, provider="espeak", sample_rate=syn.sample_rate,
                        duration_s=duration, words=finalize(tokens, list(zip(starts, ends, strict=False)), duration),
                        timing_source="native", voice=voice, model=request.model or "espeak-ng")
