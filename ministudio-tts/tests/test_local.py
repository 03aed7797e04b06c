"""piper and espeak synthesize real audio offline; their word times match the audio."""

from __future__ import annotations

import numpy as np
import pytest

from ministudio.errors import CapabilityError

from ministudio_tts import _espeak_voices
from ministudio_tts.audio import Envelope
from ministudio_tts.engines.espeak import list_library_voices


TEXT = ("The old lighthouse keeper climbed the stairs at dusk. Below him, the storm rolled in "
        "across the grey water. It's 1984, said Dr. Smith — don't go!")


def test_espeak_words_match_audio(speak, checks):
    r = speak(provider="espeak", text=TEXT)
    samples = checks.load(r)
    checks.check_words(r, TEXT)
    assert r.timing_source == "native" and r.voice == "en-us" and r.sample_rate == 22050
    errors = checks.onset_errors(r, samples)
    assert len(errors) >= 4  # the sentence and clause pauses
    assert max(errors) < 0.06, errors
    # a word's end is where its sound stops: the pause after "dusk." is not part of it
    dusk = next(w for w in r.words if w.word == "dusk.")
    below = next(w for w in r.words if w.word == "Below")
    assert below.start_s - dusk.end_s > 0.1
    env = Envelope(samples, r.sample_rate)
    assert env.last_voiced_end(dusk.end_s + 0.02, below.start_s - 0.02) is None


def test_piper_words_match_audio(speak, checks):
    r = speak(provider="piper", text=TEXT)
    samples = checks.load(r)
    checks.check_words(r, TEXT)
    assert r.timing_source == "native" and r.voice == "en_US-joe-medium"
    errors = checks.onset_errors(r, samples)
    assert len(errors) >= 3
    assert float(np.median(errors)) < 0.05 and max(errors) < 0.12, errors
    # every word has sound inside its span (an aligned word is never placed in silence)
    env = Envelope(samples, r.sample_rate)
    for w in r.words:
        assert env.last_voiced_end(w.start_s, max(w.end_s, w.start_s + 0.01)) is not None, w
    # the audio does not end before the last word does (narration is never cut)
    assert r.words[-1].end_s <= r.duration_s
    assert env.last_voiced_end(0, r.duration_s) <= r.duration_s


def test_rate_changes_length(speak):
    slow = speak(provider="espeak", text=TEXT, rate=0.8)
    fast = speak(provider="espeak", text=TEXT, rate=1.6)
    assert fast.duration_s < slow.duration_s * 0.7
    p_fast = speak(provider="piper", text="Hello there, friend.", rate=1.5)
    p_slow = speak(provider="piper", text="Hello there, friend.", rate=0.75)
    assert p_fast.duration_s < p_slow.duration_s * 0.8


def test_espeak_language_picks_voice(speak, checks):
    r = speak(provider="espeak", text="Bonjour tout le monde.", language="fr-FR")
    assert r.voice == "fr-fr"
    checks.check_words(r, "Bonjour tout le monde.")
    v = speak(provider="espeak", text="Hello there.", voice="en-us+f3")
    assert v.voice == "en-us+f3" and v.duration_s > 0.3


def test_espeak_rejects_rate_it_cannot_do(speak):
    # refused before the engine runs, from the declared rate range (80-450 words a minute)
    with pytest.raises(CapabilityError, match="rate 0.3 outside espeak-ng's range 0.46–2.57"):
        speak(provider="espeak", text="Hello.", rate=0.3)


def test_piper_rejects_pitch(speak):
    with pytest.raises(CapabilityError, match="pitch"):
        speak(provider="piper", text="Hello.", pitch=2.0)


def test_static_voice_table_matches_library():
    voices, variants = list_library_voices()
    assert tuple(voices) == _espeak_voices.VOICES
    assert tuple(variants) == _espeak_voices.VARIANTS


def test_piper_voice_is_dropped_when_idle_and_loaded_again(monkeypatch) -> None:
    import time

    pytest.importorskip("piper")
    from ministudio_tts.engines import piper
    from ministudio_tts.text import tokenize

    monkeypatch.setattr(piper, "IDLE_S", 0.2)
    text = "Hello there."
    first = piper.synthesize(text, tokenize(text), voice=piper.DEFAULT_VOICE)
    assert piper.DEFAULT_VOICE in piper._voices  # kept while lines keep coming
    deadline = time.monotonic() + 10
    while piper.DEFAULT_VOICE in piper._voices and time.monotonic() < deadline:
        time.sleep(0.05)
    assert piper.DEFAULT_VOICE not in piper._voices  # idle: its memory is given back
    again = piper.synthesize(text, tokenize(text), voice=piper.DEFAULT_VOICE)
    # loaded again: the same voice (VITS samples its durations, so lengths vary a little)
    assert again.sample_rate == first.sample_rate
    assert abs(len(again.samples) - len(first.samples)) < 0.3 * len(first.samples)
