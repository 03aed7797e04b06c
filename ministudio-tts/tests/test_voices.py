"""piper's other speakers: the one shipped voice through a pitch + formant transform. Each
variant is measurably another voice (pitch and vocal-tract formants move, by gender), the
words and their timings are unchanged, and the ids are declared for the planner to cast."""

from __future__ import annotations

import numpy as np
import parselmouth
import pytest
from ministudio.errors import CapabilityError
from ministudio_tts.specs import piper_spec
from ministudio_tts.voices import VARIANTS, transform
from parselmouth.praat import call

TEXT = "Then I'm going to need that umbrella, honestly."


def _voice(samples: np.ndarray, rate: int) -> tuple[float, float]:
    """(median pitch Hz, mean F2 Hz) of the voiced parts."""
    snd = parselmouth.Sound(samples.astype(np.float64) / 32768.0, sampling_frequency=rate)
    f0 = call(snd.to_pitch(pitch_floor=50.0), "Get quantile", 0, 0, 0.5, "Hertz")
    f2 = call(snd.to_formant_burg(), "Get mean", 2, 0, 0, "hertz")
    return f0, f2


def test_variants_are_other_voices_with_the_same_words(speak, checks):
    base = speak(provider="piper", text=TEXT)
    b = checks.load(base)
    f0_joe, f2_joe = _voice(b, base.sample_rate)
    seen = {}
    for vid, v in VARIANTS.items():
        same = transform(b, base.sample_rate, vid)
        assert len(same) == len(b)  # duration factor 1: every word stays where it was
        assert np.abs(same.astype(np.int32)).max() < 32767  # no clipping
        f0, f2 = _voice(same, base.sample_rate)
        assert f0 == pytest.approx(v.pitch_hz, rel=0.12), vid
        if v.gender == "female":
            assert f0 > 1.9 * f0_joe and f2 > 1.04 * f2_joe, vid  # formants up: a shorter vocal tract
        seen[vid] = f0
        # through the provider: the variant's id, its pitch, timed words
        r = speak(provider="piper", text=TEXT, voice=f"en_US-joe-medium+{vid}")
        assert r.voice == f"en_US-joe-medium+{vid}" and r.timing_source == "native"
        checks.check_words(r, TEXT)
        assert _voice(checks.load(r), r.sample_rate)[0] == pytest.approx(v.pitch_hz, rel=0.12)
    # every speaker differs from the next by at least 2 semitones of pitch
    pitches = sorted([f0_joe, *seen.values()])
    assert all(b / a > 1.12 for a, b in zip(pitches, pitches[1:], strict=False)), pitches


def test_unknown_variant_is_a_clear_error(speak):
    with pytest.raises(CapabilityError, match="voice 'en_US-joe-medium\\+x9' not offered by piper"):
        speak(provider="piper", text=TEXT, voice="en_US-joe-medium+x9")


def test_variants_are_declared_with_gender():
    voices = piper_spec().speech_models[0].voices
    assert voices[0].id == "en_US-joe-medium"  # the default stays first
    declared = {v.id: v.gender for v in voices}
    for vid, v in VARIANTS.items():
        assert declared[f"en_US-joe-medium+{vid}"] == v.gender
    assert {"female", "male"} <= set(declared.values())
