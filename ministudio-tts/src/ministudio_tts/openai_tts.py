"""OpenAI speech (``audio.speech.create``) through the ``openai`` SDK.

The API returns audio only, so word timings are *estimated* (``timing_source="estimated"``) by
:func:`ministudio_tts.timing.estimate`: syllable-weighted layout of the words over the voiced
span of the audio, bent so that every pause heard in the audio falls on a punctuation gap.
Audio is requested as WAV (24 kHz mono 16-bit). The SDK's own retries are off (core retries).

The SDK's HTTP client is built on ``context.transport`` when one is given (tests): an
``httpx2`` transport for openai 3.x, an ``httpx`` one for openai 2.x.
"""

from __future__ import annotations

from typing import Any

from ministudio.context import CallContext
from ministudio.errors import (
    AuthenticationError,
    CapabilityError,
    ProviderError,
    ProviderUnavailableError,
)
from ministudio.httperrors import classify
from ministudio.requests import SpeechRequest, SpeechResult

from ministudio_tts.audio import Envelope, decode_wav, write_wav
from ministudio_tts.common import no_pitch, output_path
from ministudio_tts.text import tokenize
from ministudio_tts.timing import estimate, finalize

__all__ = ["speak"]

DEFAULT_MODEL = "gpt-4o-mini-tts"
DEFAULT_VOICE = "alloy"
SAMPLE_RATE = 24000


def _client(context: CallContext) -> Any:
    import openai

    key = context.secret("OPENAI_API_KEY")
    if not key:
        raise AuthenticationError("openai: OPENAI_API_KEY is not set", provider="openai",
                                  hint="export OPENAI_API_KEY=... or put it in the project .env")
    kwargs: dict[str, Any] = {"api_key": key, "max_retries": 0, "timeout": context.timeout_s}
    base = context.settings.get("base_url")
    if base:
        kwargs["base_url"] = str(base)
    if context.transport is not None:
        module = type(context.transport).__module__.split(".")[0]
        http = __import__(module)
        kwargs["http_client"] = http.Client(transport=context.transport)
    return openai.OpenAI(**kwargs)


def speak(request: SpeechRequest, context: CallContext) -> SpeechResult:
    import openai

    no_pitch(request)
    tokens = tokenize(request.text)
    if not tokens:
        raise CapabilityError("openai: nothing speakable in the text", provider="openai")
    model = request.model or DEFAULT_MODEL
    voice = request.voice or DEFAULT_VOICE
    params: dict[str, Any] = {"model": model, "voice": voice, "input": request.text,
                              "response_format": "wav", "speed": request.rate}
    if request.instructions:
        params["instructions"] = request.instructions
    client = _client(context)
    try:
        response = client.audio.speech.create(**params)
        data = response.content
    except openai.APIStatusError as exc:
        body = exc.body if isinstance(exc.body, dict) else {}
        err = body.get("error", body) if isinstance(body, dict) else {}
        message = str(err.get("message", "")) if isinstance(err, dict) else ""
        code = str(err.get("code", "") or err.get("type", "")) if isinstance(err, dict) else ""
        raise classify(exc.status_code, message, provider="openai", model=model,
                       headers=dict(exc.response.headers), code=code) from None
    except openai.APIConnectionError as exc:
        raise ProviderUnavailableError(f"openai: network error: {type(exc).__name__}",
                                       provider="openai", model=model) from None
    finally:
        client.close()
    samples, rate = decode_wav(data, default_rate=SAMPLE_RATE)
    if samples.size == 0:
        raise ProviderError("openai returned empty audio", provider="openai", model=model)
    path = output_path(request, context)
    duration = write_wav(path, samples, rate)
    spans = estimate(tokens, Envelope(samples, rate))
    context.log.info("speech.done", voice=voice, seconds=round(duration, 3), words=len(tokens))
    return SpeechResult(path=path, provider="openai", sample_rate=rate, duration_s=duration,
                        words=finalize(tokens, spans, duration),  # type: ignore[arg-type]
                        timing_source="estimated", voice=voice, model=model)
