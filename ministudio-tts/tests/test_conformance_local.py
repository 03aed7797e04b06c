from ministudio.testing.conformance import SpeechProviderConformance

import ministudio_tts.plugin


class TestPiperConformance(SpeechProviderConformance):
    plugin = ministudio_tts.plugin
    provider = "piper"
    transport_kind = None


class TestEspeakConformance(SpeechProviderConformance):
    plugin = ministudio_tts.plugin
    provider = "espeak"
    transport_kind = None
