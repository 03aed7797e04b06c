"""Subtitles from word timings: readable cues, SRT and WebVTT sidecars, mov_text packets."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs

from ministudio.media.atomic import write_text_atomic
from ministudio.requests import WordTiming

__all__ = ["Cue", "cues_from_words", "format_srt", "format_vtt", "mov_text_payload",
           "write_srt", "write_vtt"]

_SENTENCE_END = (".", "!", "?", "…", "。", "！", "？")


@attrs.frozen(kw_only=True)
class Cue:
    """One subtitle: shown from ``start_s`` to ``end_s``; ``text`` may hold a line break."""

    start_s: float
    end_s: float
    text: str

    def __attrs_post_init__(self) -> None:
        if self.end_s <= self.start_s:
            raise ValueError(f"cue ends ({self.end_s}) before it starts ({self.start_s})")

    def shifted(self, offset_s: float) -> Cue:
        return attrs.evolve(self, start_s=self.start_s + offset_s, end_s=self.end_s + offset_s)


def _wrap(words: Sequence[str], max_chars: int) -> str:
    """One line if it fits, else two lines balanced at the best word boundary."""
    text = " ".join(words)
    if len(text) <= max_chars or len(words) < 2:
        return text
    best, split = None, 1
    for i in range(1, len(words)):
        a, b = " ".join(words[:i]), " ".join(words[i:])
        cost = max(len(a), len(b))
        if best is None or cost < best:
            best, split = cost, i
    return " ".join(words[:split]) + "\n" + " ".join(words[split:])


def cues_from_words(
    words: Iterable[WordTiming],
    *,
    offset_s: float = 0.0,
    max_chars: int = 42,
    max_lines: int = 2,
    max_duration_s: float = 6.0,
    max_gap_s: float = 0.8,
    min_duration_s: float = 1.0,
) -> list[Cue]:
    """Group word timings into cues a viewer can read.

    A new cue starts after a sentence end, a pause longer than ``max_gap_s``, when the text
    would exceed ``max_lines`` lines of ``max_chars``, or the cue would last longer than
    ``max_duration_s``. Short cues are held for ``min_duration_s`` unless the next cue starts
    first. ``offset_s`` shifts every cue (a speech placed later in the film).
    """
    limit = max_chars * max_lines
    groups: list[list[WordTiming]] = []
    current: list[WordTiming] = []
    for w in words:
        token = w.word.strip()
        if not token:
            continue
        w = attrs.evolve(w, word=token)
        if current:
            prev = current[-1]
            length = len(" ".join(x.word for x in current)) + 1 + len(token)
            if (
                prev.word.endswith(_SENTENCE_END)
                or w.start_s - prev.end_s > max_gap_s
                or length > limit
                or w.end_s - current[0].start_s > max_duration_s
            ):
                groups.append(current)
                current = []
        current.append(w)
    if current:
        groups.append(current)
    cues: list[Cue] = []
    for i, group in enumerate(groups):
        start = group[0].start_s + offset_s
        end = max(group[-1].end_s + offset_s, start + 0.01)
        if end - start < min_duration_s:
            end = start + min_duration_s
        if i + 1 < len(groups):
            end = min(end, groups[i + 1][0].start_s + offset_s)
        end = max(end, start + 0.01)
        cues.append(Cue(start_s=round(start, 3), end_s=round(end, 3),
                        text=_wrap([w.word for w in group], max_chars)))
    return cues


def _stamp(seconds: float, sep: str) -> str:
    ms = max(0, int(round(seconds * 1000)))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def format_srt(cues: Sequence[Cue]) -> str:
    blocks = [
        f"{i}\n{_stamp(c.start_s, ',')} --> {_stamp(c.end_s, ',')}\n{c.text}\n"
        for i, c in enumerate(sorted(cues, key=lambda c: c.start_s), 1)
    ]
    return "\n".join(blocks)


def format_vtt(cues: Sequence[Cue]) -> str:
    blocks = [
        f"{_stamp(c.start_s, '.')} --> {_stamp(c.end_s, '.')}\n{c.text.replace('-->', '→')}\n"
        for c in sorted(cues, key=lambda c: c.start_s)
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)


def write_srt(cues: Sequence[Cue], path: str | Path) -> Path:
    """Write an SRT file (UTF-8, atomically)."""
    return write_text_atomic(path, format_srt(cues))


def write_vtt(cues: Sequence[Cue], path: str | Path) -> Path:
    """Write a WebVTT file (UTF-8, atomically)."""
    return write_text_atomic(path, format_vtt(cues))


def mov_text_payload(text: str) -> bytes:
    """A 3GPP timed-text sample: 16-bit big-endian byte length + UTF-8 text."""
    data = text.encode("utf-8")[:65535]
    return struct.pack(">H", len(data)) + data


#: the minimal ASS header the mov_text encoder needs to build its sample description
MOV_TEXT_HEADER = (
    b"[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\n\n[V4+ Styles]\n"
    b"Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
    b"BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
    b"BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
    b"Style: Default,Sans,18,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0"
    b"\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, "
    b"Text\n"
)
