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


def test_piper_runs_in_a_worker_process_that_exits_when_idle(monkeypatch) -> None:
    import os
    import sys
    import time

    pytest.importorskip("piper")
    from ministudio_tts.engines import piper, piper_worker
    from ministudio_tts.text import tokenize

    heavy_before = "onnxruntime" in sys.modules
    worker = piper_worker.shared()
    worker.stop()
    monkeypatch.setattr(worker, "idle_s", 0.3)
    started = worker.started
    text = "Hello there."
    first = piper.synthesize(text, tokenize(text), voice=piper.DEFAULT_VOICE)
    pid = worker.pid
    assert pid is not None and pid != os.getpid()  # the voice lives in another process
    assert worker.started == started + 1
    assert ("onnxruntime" in sys.modules) == heavy_before  # and never entered this one
    second = piper.synthesize(text, tokenize(text), voice=piper.DEFAULT_VOICE)
    assert worker.pid == pid and worker.started == started + 1  # reused while lines come
    deadline = time.monotonic() + 10
    while worker.pid is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert worker.pid is None  # idle: the worker exited, its memory went with it
    assert not os.path.exists(f"/proc/{pid}") or _zombie_free(pid)
    again = piper.synthesize(text, tokenize(text), voice=piper.DEFAULT_VOICE)
    assert worker.started == started + 2 and worker.pid not in (None, pid)
    # loaded again: the same voice (VITS samples its durations, so lengths vary a little)
    for other in (second, again):
        assert other.sample_rate == first.sample_rate
        assert abs(len(other.samples) - len(first.samples)) < 0.3 * len(first.samples)
    assert first.spans is not None and len(first.spans) == len(tokenize(text))
    worker.stop()


def _zombie_free(pid: int) -> bool:
    """The process is gone (reaped): /proc may still list another process reusing the id."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return ") Z " not in f.read()
    except OSError:
        return True


def test_a_failed_worker_is_a_retryable_error_and_the_next_line_starts_a_new_one(
        monkeypatch) -> None:
    pytest.importorskip("piper")
    from ministudio.errors import ProviderError
    from ministudio_tts.engines import piper, piper_worker
    from ministudio_tts.text import tokenize

    worker = piper_worker.Worker(idle_s=5)
    monkeypatch.setattr(piper_worker, "_shared", worker)
    assert worker.call("ping") == worker.pid
    import os
    import signal

    os.kill(worker.pid, signal.SIGKILL)
    with pytest.raises(ProviderError) as info:
        worker.call("ping")
    assert info.value.retryable and worker.pid is None
    text = "Hello."
    assert piper.synthesize(text, tokenize(text), voice=piper.DEFAULT_VOICE).spans
    assert worker.started == 2
    with pytest.raises(ProviderError, match="unknown piper worker request"):
        worker.call("nothing")
    worker.stop()
