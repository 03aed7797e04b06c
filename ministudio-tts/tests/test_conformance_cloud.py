import base64

import httpx
import numpy as np
import pytest

from ministudio.testing.conformance import SpeechProviderConformance

import ministudio_tts.plugin
from ministudio_tts.engines import espeak


def _speech(text: str) -> tuple[bytes, list[float]]:
    import io
    import wave

    syn = espeak.synthesize(text, voice="en-US")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(syn.sample_rate)
        w.writeframes(np.asarray(syn.samples, dtype=np.int16).tobytes())
    return buf.getvalue(), [s / syn.sample_rate for _, s in syn.words]


class TestGoogleConformance(SpeechProviderConformance):
    plugin = ministudio_tts.plugin
    provider = "google"
    env = {"GOOGLE_OAUTH_ACCESS_TOKEN": "ya29.test-token"}
    transport_kind = "httpx"

    def respond(self, request):
        wav, starts = _speech(self.text)
        tps = [{"markName": f"w{i}", "timeSeconds": t} for i, t in enumerate(starts)]
        return httpx.Response(200, json={"audioContent": base64.b64encode(wav).decode(),
                                         "timepoints": tps})


class TestOpenAIConformance(SpeechProviderConformance):
    plugin = ministudio_tts.plugin
    provider = "openai"
    env = {"OPENAI_API_KEY": "sk-test"}
    transport_kind = "httpx2"

    def respond(self, request):
        httpx2 = pytest.importorskip("httpx2")
        wav, _ = _speech(self.text)
        return httpx2.Response(200, content=wav, headers={"content-type": "audio/wav"})
