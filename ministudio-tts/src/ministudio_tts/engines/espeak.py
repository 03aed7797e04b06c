"""espeak-ng through ctypes on the library shipped by ``espeakng-loader`` (no system package).

espeak-ng reports a WORD event for every word it speaks, with the character position in the
text and the sample it starts at: word starts are exact (``timing_source="native"``). A word
ends where the sound stops before the next word starts (measured on the samples).

The library keeps global state, so calls are serialised with a lock; it is initialised once.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any

from ministudio.errors import CapabilityError, ProviderError

__all__ = ["Synthesis", "list_library_voices", "synthesize"]

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EV_WORD = 1
_EV_LIST_TERMINATED = 0
_RATE = 1
_PITCH = 3
DEFAULT_WPM = 175
MIN_WPM, MAX_WPM = 80, 450


class _ID(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _ID),
    ]


class _Voice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.POINTER(_Event))

_LOCK = threading.Lock()
_STATE: dict[str, Any] = {}


def _on_audio(wav: Any, n: int, events: Any) -> int:
    pcm, words = _STATE["pcm"], _STATE["words"]
    if wav and n > 0:
        pcm.extend(wav[:n])
    i = 0
    while events[i].type != _EV_LIST_TERMINATED:
        if events[i].type == _EV_WORD:
            words.append((events[i].text_position, events[i].sample))
        i += 1
    return 0


def _library() -> Any:
    """Load and initialise libespeak-ng once (call with the lock held)."""
    if "lib" not in _STATE:
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0
        )
        if rate <= 0:
            raise ProviderError("espeak-ng failed to initialise", provider="espeak")
        cb = _CALLBACK(_on_audio)
        lib.espeak_SetSynthCallback(cb)
        _STATE.update(lib=lib, callback=cb, rate=rate, pcm=None, words=None)
    return _STATE["lib"]


def _languages(ptr: int) -> list[str]:
    out = []
    while True:
        if ctypes.string_at(ptr, 1)[0] == 0:
            return out
        name = ctypes.string_at(ptr + 1)
        out.append(name.decode())
        ptr += len(name) + 2


def list_library_voices() -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """Voices (id, BCP-47 language, name) and variants (id, gender) the library offers."""
    genders = {1: "male", 2: "female"}
    with _LOCK:
        lib = _library()
        voices: list[tuple[str, str, str]] = []
        arr = lib.espeak_ListVoices(None)
        i = 0
        while arr[i]:
            v = arr[i].contents
            ident = v.identifier.decode().split("/")[-1]
            voices.append((_languages(v.languages)[0], ident, v.name.decode()))
            i += 1
        spec = _Voice()
        spec.languages = ctypes.cast(ctypes.c_char_p(b"variant"), ctypes.c_void_p)
        arr = lib.espeak_ListVoices(ctypes.byref(spec))
        variants: list[tuple[str, str]] = []
        i = 0
        while arr[i]:
            v = arr[i].contents
            variants.append((v.identifier.decode().split("/")[-1], genders.get(v.gender, "")))
            i += 1
    return sorted(set(voices)), sorted(set(variants))


class Synthesis:
    def __init__(self, samples: Any, sample_rate: int, words: list[tuple[int, int]]):
        self.samples = samples
        self.sample_rate = sample_rate
        #: (1-based character position in the text, first sample) per WORD event
        self.words = words


def wpm_for(rate: float) -> int:
    wpm = round(DEFAULT_WPM * rate)
    if not MIN_WPM <= wpm <= MAX_WPM:
        raise CapabilityError(
            f"espeak speaks {MIN_WPM}-{MAX_WPM} words per minute: rate {rate:g} "
            f"({wpm} wpm) is outside {MIN_WPM / DEFAULT_WPM:.2f}-{MAX_WPM / DEFAULT_WPM:.2f}",
            provider="espeak",
        )
    return wpm


def pitch_for(semitones: float) -> int:
    """espeak's pitch parameter (0-100, default 50) for a shift in semitones (approximate:
    espeak's scale is not in semitones; 2.5 units a semitone, clamped)."""
    return int(max(0, min(100, round(50 + 2.5 * semitones))))


def synthesize(text: str, *, voice: str, rate: float = 1.0, pitch: float = 0.0) -> Synthesis:
    import array

    import numpy as np

    wpm = wpm_for(rate)
    data = text.encode("utf-8")
    with _LOCK:
        lib = _library()
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise CapabilityError(f"espeak has no voice {voice!r}", provider="espeak")
        lib.espeak_SetParameter(_RATE, wpm, 0)
        lib.espeak_SetParameter(_PITCH, pitch_for(pitch), 0)
        pcm: array.array[int] = array.array("h")
        words: list[tuple[int, int]] = []
        _STATE["pcm"], _STATE["words"] = pcm, words
        try:
            err = lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            lib.espeak_Synchronize()
        finally:
            _STATE["pcm"], _STATE["words"] = None, None
        if err != 0:
            raise ProviderError(f"espeak-ng failed to synthesize (error {err})", provider="espeak")
        rate_hz = int(_STATE["rate"])
    return Synthesis(np.frombuffer(pcm.tobytes(), dtype=np.int16).copy(), rate_hz, words)
