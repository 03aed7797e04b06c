"""Distinct offline voices from the one piper voice: a per-speaker voice transform.

Only one offline piper voice ships as a registry package (``en_US-joe-medium``, a male US
voice), so the other piper voices are that voice changed with Praat's *Change gender*
(PSOLA pitch change plus a formant shift, through ``praat-parselmouth``): a higher pitch
and formants shifted up read as a woman, a different pitch and vocal-tract length as another
man. The duration factor is 1, so the model's word timings stay exact.

Voice ids are ``en_US-joe-medium+VARIANT``; :data:`VARIANTS` lists them.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["VARIANTS", "VoiceVariant", "transform"]


@attrs.frozen(kw_only=True)
class VoiceVariant:
    id: str
    gender: str
    description: str
    #: formant shift ratio (vocal-tract length: > 1 shorter, as a woman's or a child's)
    formant_ratio: float
    #: new median pitch in Hz (the source voice speaks at about 93 Hz)
    pitch_hz: float
    #: pitch range factor (intonation wider or narrower than the source's)
    pitch_range: float = 1.0


VARIANTS: dict[str, VoiceVariant] = {v.id: v for v in (
    VoiceVariant(id="f1", gender="female", description="a woman's voice: warm, mid pitch",
                 formant_ratio=1.18, pitch_hz=200.0, pitch_range=1.1),
    VoiceVariant(id="m2", gender="male", description="another man: lighter, higher voice",
                 formant_ratio=1.07, pitch_hz=128.0, pitch_range=1.15),
    VoiceVariant(id="f2", gender="female", description="a woman's voice: bright, higher pitch",
                 formant_ratio=1.16, pitch_hz=245.0, pitch_range=1.2),
    VoiceVariant(id="m3", gender="male", description="another man: deeper, longer vocal tract",
                 formant_ratio=0.9, pitch_hz=72.0, pitch_range=0.9),
)}


def transform(samples: Any, sample_rate: int, variant: str) -> Any:
    """``samples`` (int16 mono) spoken by the voice ``variant``; same length, int16."""
    import numpy as np
    import parselmouth
    from parselmouth.praat import call

    v = VARIANTS[variant]
    sound = parselmouth.Sound(np.asarray(samples, dtype=np.float64) / 32768.0,
                              sampling_frequency=sample_rate)
    # pitch floor/ceiling for the analysis, formant ratio, new median, range, duration 1
    changed = call(sound, "Change gender", 60, 600, v.formant_ratio, v.pitch_hz,
                   v.pitch_range, 1.0)
    out = changed.values[0][: len(samples)]
    if len(out) < len(samples):
        out = np.pad(out, (0, len(samples) - len(out)))
    peak = float(np.abs(out).max()) or 1.0
    if peak > 0.99:  # formant shifts can raise peaks: keep the level, never clip
        out = out * (0.99 / peak)
    return (out * 32767.0).astype(np.int16)
