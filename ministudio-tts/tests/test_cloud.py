"""google and openai through their real client code (httpx / the openai SDK) with a mock
transport: request bodies against the documented shapes, responses decoded, errors mapped."""

from __future__ import annotations

import base64
import json

import httpx
import numpy as np
import pytest

from ministudio.errors import (
    AuthenticationError,
    ContentRejectedError,
    PaymentRequiredError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)
from ministudio.testing.transport import RecordingTransport

TEXT = "The storm rolled in across the grey water. Below him, the lamp went dark."


# -- google ------------------------------------------------------------------------------------


def google_handler(real_speech, wav_of, seen: list[dict]):
    def handle(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert str(request.url) == "https://texttospeech.googleapis.com/v1beta1/text:synthesize"
        body = json.loads(request.content)
        seen.append(body)
        ssml = body["input"]["ssml"]
        marks = ssml.count("<mark ")
        # speak the words (without markup) and answer one timepoint per mark
        import re

        from xml.sax.saxutils import unescape

        words = unescape(re.sub(r"<[^>]+>", "", ssml))
        samples, rate, starts = real_speech(words)
        first = int(re.search(r'name="w(\d+)"', ssml).group(1))
        tps = [{"markName": f"w{first + i}", "timeSeconds": t} for i, t in enumerate(starts[:marks])]
        audio = base64.b64encode(wav_of(samples, rate)).decode()
        return httpx.Response(200, json={"audioContent": audio, "timepoints": tps,
                                         "audioConfig": body["audioConfig"]})

    return handle


def test_google_request_shape_and_timings(speak, dispatcher_for, real_speech, wav_of, checks):
    seen: list[dict] = []
    rec = RecordingTransport(google_handler(real_speech, wav_of, seen))
    d = dispatcher_for(env={"GOOGLE_OAUTH_ACCESS_TOKEN": "ya29.token"}, transport=rec.httpx())
    r = speak(d, provider="google", text=TEXT + " Fish & chips <now>.", rate=1.25, pitch=-2.0,
              language="en-GB")
    assert rec.calls == 1
    req = rec.requests[0]
    assert req.headers["authorization"] == "Bearer ya29.token"
    body = seen[0]
    assert body["enableTimePointing"] == ["SSML_MARK"]
    assert body["voice"] == {"languageCode": "en-GB", "name": "en-GB-Neural2-D"}
    assert body["audioConfig"] == {"audioEncoding": "LINEAR16", "sampleRateHertz": 24000,
                                   "speakingRate": 1.25, "pitch": -2.0}
    ssml = body["input"]["ssml"]
    assert ssml.startswith('<speak><mark name="w0"/>The <mark name="w1"/>storm')
    # text is XML-escaped; "&" alone is not a word, it stays with the one before
    assert ssml.endswith('<mark name="w14"/>Fish &amp; <mark name="w15"/>chips '
                         '<mark name="w16"/>&lt;now&gt;.</speak>')
    checks.check_words(r, TEXT + " Fish & chips <now>.")
    samples = checks.load(r)
    assert r.timing_source == "native" and r.voice == "en-GB-Neural2-D" and r.model == "neural2"
    assert max(checks.onset_errors(r, samples)) < 0.06


def test_google_long_text_is_split_and_times_offset(speak, dispatcher_for, real_speech, wav_of, checks):
    text = " ".join(["The lamp went dark over the quiet grey harbour tonight."] * 40)
    seen: list[dict] = []
    rec = RecordingTransport(google_handler(real_speech, wav_of, seen))
    d = dispatcher_for(env={"GOOGLE_OAUTH_ACCESS_TOKEN": "t"}, transport=rec.httpx())
    r = speak(d, provider="google", text=text, voice="en-US-Wavenet-F", model="wavenet")
    assert rec.calls >= 2
    assert all(len(b["input"]["ssml"].encode()) <= 5000 for b in seen)
    assert seen[0]["voice"] == {"languageCode": "en-US", "name": "en-US-Wavenet-F"}
    checks.check_words(r, text)
    samples = checks.load(r)
    # sentence starts (after the pauses between sentences) match, across the part seams too
    assert max(checks.onset_errors(r, samples, min_gap_s=0.2)) < 0.06
    # every part ends on a sentence
    for b in seen[:-1]:
        assert b["input"]["ssml"].endswith("tonight.</speak>")


def test_google_adc_refresh_goes_through_transport(speak, dispatcher_for, real_speech, wav_of, tmp_path):
    creds = tmp_path / "adc.json"
    creds.write_text(json.dumps({"type": "authorized_user", "client_id": "cid",
                                 "client_secret": "csecret", "refresh_token": "rtok",
                                 "quota_project_id": "my-project"}))
    seen: list[dict] = []
    synth = google_handler(real_speech, wav_of, seen)

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == "oauth2.googleapis.com":
            form = dict(x.split("=", 1) for x in request.content.decode().split("&"))
            assert form["grant_type"] == "refresh_token" and form["refresh_token"] == "rtok"
            return httpx.Response(200, json={"access_token": "ya29.fresh", "expires_in": 3600,
                                             "token_type": "Bearer"})
        assert request.headers["authorization"] == "Bearer ya29.fresh"
        assert request.headers["x-goog-user-project"] == "my-project"
        return synth(request)

    rec = RecordingTransport(handle)
    d = dispatcher_for(env={"GOOGLE_APPLICATION_CREDENTIALS": str(creds)}, transport=rec.httpx())
    r = speak(d, provider="google", text="Hello there, friend.")
    assert rec.calls == 2 and r.words


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (401, {"code": 401, "message": "Request had invalid authentication credentials.",
               "status": "UNAUTHENTICATED"}, {}, AuthenticationError),
        (403, {"code": 403, "message": "Caller does not have permission", "status": "PERMISSION_DENIED"},
         {}, AuthenticationError),
        (403, {"code": 403, "message": "This API method requires billing to be enabled.",
               "status": "PERMISSION_DENIED"}, {}, PaymentRequiredError),
        (429, {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"},
         {"retry-after": "7"}, RateLimitedError),
        (500, {"code": 500, "message": "Internal error", "status": "INTERNAL"}, {}, ProviderUnavailableError),
        (503, {"code": 503, "message": "unavailable", "status": "UNAVAILABLE"}, {}, ProviderUnavailableError),
        (400, {"code": 400, "message": "Invalid SSML", "status": "INVALID_ARGUMENT"}, {}, ProviderError),
    ],
)
def test_google_errors(speak, dispatcher_for, status, body, headers, expected):
    rec = RecordingTransport(lambda r: httpx.Response(status, json={"error": body}, headers=headers))
    d = dispatcher_for(env={"GOOGLE_OAUTH_ACCESS_TOKEN": "t"}, transport=rec.httpx())
    with pytest.raises(expected) as info:
        speak(d, provider="google", text="Hello.")
    assert type(info.value) is expected
    assert info.value.status_code == status and body["message"] in str(info.value)
    if status == 429:
        assert info.value.retry_after == 7.0


def test_google_network_error_is_retryable(speak, dispatcher_for):
    def boom(request):
        raise httpx.ConnectError("no route")

    d = dispatcher_for(env={"GOOGLE_OAUTH_ACCESS_TOKEN": "t"}, transport=httpx.MockTransport(boom))
    with pytest.raises(ProviderUnavailableError):
        speak(d, provider="google", text="Hello.")


def test_google_voice_must_match_model(speak, dispatcher_for):
    from ministudio.errors import CapabilityError

    rec = RecordingTransport()
    d = dispatcher_for(env={"GOOGLE_OAUTH_ACCESS_TOKEN": "t"}, transport=rec.httpx())
    with pytest.raises(CapabilityError, match="not a neural2 voice"):
        speak(d, provider="google", text="Hello.", voice="en-US-Standard-A")
    assert rec.calls == 0


# -- openai ------------------------------------------------------------------------------------

httpx2 = pytest.importorskip("httpx2")


def openai_handler(real_speech, wav_of, seen: list[dict], truth: list[list[float]]):
    def handle(request):
        assert request.method == "POST"
        assert str(request.url) == "https://api.openai.com/v1/audio/speech"
        body = json.loads(request.content)
        seen.append(body)
        samples, rate, starts = real_speech(body["input"])
        # OpenAI sends 24 kHz WAV with a streaming header
        up = np.interp(np.arange(0, len(samples), rate / 24000), np.arange(len(samples)), samples)
        truth.append(starts)
        return httpx2.Response(200, content=wav_of(up.astype(np.int16), 24000, streaming=True),
                               headers={"content-type": "audio/wav"})

    return handle


def test_openai_request_shape_and_estimated_timings(speak, dispatcher_for, real_speech, wav_of, checks):
    seen: list[dict] = []
    truth: list[list[float]] = []
    rec = RecordingTransport(openai_handler(real_speech, wav_of, seen, truth))
    d = dispatcher_for(env={"OPENAI_API_KEY": "sk-test"}, transport=rec.httpx2())
    r = speak(d, provider="openai", text=TEXT, voice="coral", rate=1.1,
              instructions="Calm and low, like a lighthouse keeper.")
    assert rec.calls == 1
    assert rec.requests[0].headers["authorization"] == "Bearer sk-test"
    assert seen[0] == {"model": "gpt-4o-mini-tts", "voice": "coral", "input": TEXT,
                       "response_format": "wav", "speed": 1.1,
                       "instructions": "Calm and low, like a lighthouse keeper."}
    samples = checks.load(r)
    assert r.sample_rate == 24000 and r.timing_source == "estimated"
    checks.check_words(r, TEXT)
    err = np.abs(np.array([w.start_s for w in r.words]) - np.array(truth[0]))
    # an estimate: measured median 0.11 s, worst 0.45 s on this text (espeak audio)
    assert float(np.median(err)) < 0.15 and float(err.max()) < 0.5, err
    # the estimate puts sentence starts on the heard onsets after pauses
    assert max(checks.onset_errors(r, samples, min_gap_s=0.12)) < 0.06


@pytest.mark.parametrize(
    ("status", "error", "headers", "expected"),
    [
        (401, {"message": "Incorrect API key provided", "type": "invalid_request_error",
               "code": "invalid_api_key"}, {}, AuthenticationError),
        (403, {"message": "Country not supported", "type": "invalid_request_error",
               "code": "unsupported_country_region_territory"}, {}, AuthenticationError),
        (429, {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"},
         {"retry-after": "3"}, RateLimitedError),
        (429, {"message": "You exceeded your current quota", "type": "insufficient_quota",
               "code": "insufficient_quota"}, {}, PaymentRequiredError),
        (500, {"message": "server error", "type": "server_error", "code": None}, {},
         ProviderUnavailableError),
        (400, {"message": "Input rejected by the safety system", "type": "invalid_request_error",
               "code": "moderation_blocked"}, {}, ContentRejectedError),
    ],
)
def test_openai_errors(speak, dispatcher_for, status, error, headers, expected):
    rec = RecordingTransport(lambda r: httpx2.Response(status, json={"error": error}, headers=headers))
    d = dispatcher_for(env={"OPENAI_API_KEY": "sk-test"}, transport=rec.httpx2())
    with pytest.raises(expected) as info:
        speak(d, provider="openai", text="Hello.")
    assert type(info.value) is expected and info.value.status_code == status
    assert rec.calls == 1  # the SDK's own retries are off; core owns retries
    if status == 429 and expected is RateLimitedError:
        assert info.value.retry_after == 3.0


def test_openai_without_key_is_an_auth_error(speak, dispatcher_for):
    rec = RecordingTransport()
    d = dispatcher_for(env={}, transport=rec.httpx2())
    with pytest.raises(AuthenticationError, match="OPENAI_API_KEY"):
        speak(d, provider="openai", text="Hello.")
    assert rec.calls == 0
