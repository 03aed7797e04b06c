"""Google Cloud Text-to-Speech over REST (v1beta1) with word timings from SSML marks.

Each word is preceded by ``<mark name="wN"/>`` and the request asks for
``enableTimePointing: ["SSML_MARK"]``; the response's ``timepoints`` give each word's start.
A word ends where the sound stops before the next word starts. Text longer than one request
allows (5000 bytes of SSML) is sent in sentence-aligned parts whose audio is joined; the times
of later parts are offset by the samples before them.

Credentials, in order: ``GOOGLE_OAUTH_ACCESS_TOKEN`` (a bearer token, e.g. from
``gcloud auth print-access-token``); ``GOOGLE_APPLICATION_CREDENTIALS`` (a key or ADC file);
Application Default Credentials found by google-auth. Token refreshes go through the same
HTTP client (and so through ``context.transport`` in tests).
"""

from __future__ import annotations

import base64
import re
from typing import Any
from xml.sax.saxutils import escape

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
from ministudio_tts.common import output_path
from ministudio_tts.text import Token, tokenize
from ministudio_tts.timing import ends_from_starts, finalize

__all__ = ["API", "build_body", "speak"]

API = "https://texttospeech.googleapis.com/v1beta1"
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
MAX_SSML_BYTES = 4800
SAMPLE_RATE = 24000
_DEFAULT_VOICE_LETTER = {"neural2": "D", "wavenet": "D", "standard": "D"}


def ssml(tokens: list[Token], first_index: int) -> str:
    parts = [f'<mark name="w{first_index + i}"/>{escape(t.text)}' for i, t in enumerate(tokens)]
    return "<speak>" + " ".join(parts) + "</speak>"


def chunks(tokens: list[Token]) -> list[list[Token]]:
    """Sentence-aligned groups of tokens whose SSML fits one request."""
    out: list[list[Token]] = [[]]
    size = 0
    for t in tokens:
        cost = len(escape(t.text).encode()) + 24
        sentence_end = bool(out[-1]) and re.search(r"[.!?…][\"'”’)]*$", out[-1][-1].text)
        if out[-1] and (size + cost > MAX_SSML_BYTES or (sentence_end and size > MAX_SSML_BYTES * 0.6)):
            out.append([])
            size = 0
        out[-1].append(t)
        size += cost
    return out


def voice_for(request: SpeechRequest) -> dict[str, str]:
    family = (request.model or "neural2").lower()
    if request.voice:
        if family not in request.voice.lower():
            raise CapabilityError(
                f"google/{family}: voice {request.voice!r} is not a {family} voice",
                provider="google", model=family,
                hint="pick a voice whose name contains the model family, or change model",
            )
        lang = request.language or "-".join(request.voice.split("-")[:2])
        return {"languageCode": lang, "name": request.voice}
    lang = request.language or "en-US"
    return {"languageCode": lang, "name": f"{lang}-{family.capitalize()}-{_DEFAULT_VOICE_LETTER[family]}"}


def build_body(request: SpeechRequest, tokens: list[Token], first_index: int) -> dict[str, Any]:
    """The documented ``text:synthesize`` request (v1beta1)."""
    if not -20.0 <= request.pitch <= 20.0:
        raise CapabilityError(f"google: pitch {request.pitch:+g} outside -20..20 semitones",
                              provider="google")
    return {
        "input": {"ssml": ssml(tokens, first_index)},
        "voice": voice_for(request),
        "audioConfig": {
            "audioEncoding": "LINEAR16",
            "sampleRateHertz": SAMPLE_RATE,
            "speakingRate": request.rate,
            "pitch": request.pitch,
        },
        "enableTimePointing": ["SSML_MARK"],
    }


class _AuthRequest:
    """google-auth's transport interface on top of our httpx client."""

    def __init__(self, client: Any):
        self.client = client

    def __call__(self, url: str, method: str = "GET", body: Any = None, headers: Any = None,
                 timeout: Any = None, **kwargs: Any) -> Any:
        from google.auth import exceptions

        try:
            r = self.client.request(method, url, content=body, headers=headers)
        except Exception as exc:  # noqa: BLE001
            raise exceptions.TransportError(f"token request failed: {type(exc).__name__}") from exc

        class _Response:
            status = r.status_code
            headers = dict(r.headers)
            data = r.content

        return _Response()


def _authorization(context: CallContext, client: Any) -> dict[str, str]:
    token = context.secret("GOOGLE_OAUTH_ACCESS_TOKEN")
    headers: dict[str, str] = {}
    quota = context.secret("GOOGLE_CLOUD_QUOTA_PROJECT")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    else:
        try:
            import google.auth
            from google.auth import exceptions
        except ImportError as exc:
            raise AuthenticationError(
                "google: no GOOGLE_OAUTH_ACCESS_TOKEN and google-auth is not installed",
                provider="google", hint="pip install 'ministudio-tts[google]'",
            ) from exc
        try:
            path = context.secret("GOOGLE_APPLICATION_CREDENTIALS")
            if path:
                creds, _ = google.auth.load_credentials_from_file(path, scopes=SCOPES)
            else:
                creds, _ = google.auth.default(scopes=SCOPES)
            creds.refresh(_AuthRequest(client))
        except exceptions.DefaultCredentialsError as exc:
            raise AuthenticationError(
                "google: no credentials found", provider="google",
                hint="run `gcloud auth application-default login` or set GOOGLE_OAUTH_ACCESS_TOKEN",
            ) from exc
        except exceptions.TransportError as exc:
            raise ProviderUnavailableError(f"google: {exc}", provider="google") from exc
        except exceptions.RefreshError as exc:
            raise AuthenticationError("google: credentials were rejected when refreshed",
                                      provider="google") from exc
        headers["Authorization"] = f"Bearer {creds.token}"
        quota = quota or getattr(creds, "quota_project_id", None)
    if quota:
        headers["x-goog-user-project"] = quota
    return headers


def _client(context: CallContext) -> Any:
    import httpx

    kwargs: dict[str, Any] = {"timeout": httpx.Timeout(context.timeout_s, connect=10.0)}
    if context.transport is not None:
        kwargs["transport"] = context.transport
    return httpx.Client(**kwargs)


def _error(response: Any, model: str) -> Exception:
    try:
        err = response.json().get("error", {})
        message, code = str(err.get("message", "")), str(err.get("status", ""))
    except ValueError:
        message, code = response.text[:200], ""
    return classify(response.status_code, message, provider="google", model=model,
                    headers=dict(response.headers), code=code)


def speak(request: SpeechRequest, context: CallContext) -> SpeechResult:
    import httpx
    import numpy as np

    model = (request.model or "neural2").lower()
    tokens = tokenize(request.text)
    if not tokens:
        raise CapabilityError("google: nothing speakable in the text", provider="google")
    bodies = []
    first = 0
    for part in chunks(tokens):
        bodies.append(build_body(request, part, first))
        first += len(part)
    pieces: list[Any] = []
    starts: list[float | None] = [None] * len(tokens)
    offset = 0
    rate = SAMPLE_RATE
    with _client(context) as client:
        headers = _authorization(context, client)
        for body in bodies:
            try:
                r = client.post(f"{API}/text:synthesize", json=body, headers=headers)
            except httpx.TransportError as exc:
                raise ProviderUnavailableError(f"google: network error: {type(exc).__name__}",
                                               provider="google") from exc
            if r.status_code >= 400:
                raise _error(r, model)
            data = r.json()
            if "audioContent" not in data:
                raise ProviderError("google: response has no audioContent", provider="google")
            samples, rate = decode_wav(base64.b64decode(data["audioContent"]), default_rate=SAMPLE_RATE)
            for tp in data.get("timepoints", []):
                name = str(tp.get("markName", ""))
                if name.startswith("w") and name[1:].isdigit() and int(name[1:]) < len(tokens):
                    starts[int(name[1:])] = offset / rate + float(tp.get("timeSeconds", 0.0))
            pieces.append(samples)
            offset += len(samples)
    audio = np.concatenate(pieces)
    path = output_path(request, context)
    duration = write_wav(path, audio, rate)
    ends = ends_from_starts(starts, Envelope(audio, rate))
    context.log.info("speech.done", requests=len(bodies), seconds=round(duration, 3), words=len(tokens))
    return SpeechResult(path=path, provider="google", sample_rate=rate, duration_s=duration,
                        words=finalize(tokens, list(zip(starts, ends, strict=False)), duration),
                        timing_source="native", voice=bodies[0]["voice"]["name"], model=model)
