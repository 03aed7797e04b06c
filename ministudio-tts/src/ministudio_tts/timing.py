"""Word timings: clean-up shared by every engine, and the estimator for engines without times.

``finalize`` turns raw per-word (start, end) pairs into :class:`WordTiming` records that are
monotonic, non-overlapping and inside the audio. ``ends_from_starts`` derives each word's end
from the next word's start by trimming the silence in between (measured on the samples).

``estimate`` is used when an engine reports no times (OpenAI): words are laid out on a
"syllable timeline" (vowel groups per word, digits count one each, extra room after commas
and sentence ends), stretched over the voiced span of the audio, then bent piecewise-linearly
so that every pause found in the audio (>= 120 ms of silence) lands on the nearest punctuation
gap, or the nearest word gap when no punctuation is close.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ministudio.requests import WordTiming

from ministudio_tts.audio import Envelope
from ministudio_tts.text import Token

__all__ = ["ends_from_starts", "estimate", "finalize"]

_VOWELS = re.compile(r"[aeiouyàáâäæèéêëìíîïòóôöøùúûüœ]+", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_WORD_GAP = 0.3
_CLAUSE_GAP = 1.2
_SENTENCE_GAP = 2.2


def syllables(word: str) -> float:
    letters = re.sub(r"[^\w]", "", word)
    n = len(_VOWELS.findall(letters)) + len(_DIGIT.findall(letters))
    if n == 0 and letters:  # a word with no latin vowels (other scripts): ~3 letters a syllable
        n = max(1, round(len(letters) / 3))
    return float(max(1, n))


def pause_after(word: str) -> float:
    tail = word.rstrip("\"'”’»)]")
    if tail.endswith((".", "!", "?", "…")):
        return _SENTENCE_GAP
    if tail.endswith((",", ";", ":", "—", "–", "-")):
        return _CLAUSE_GAP
    return _WORD_GAP


def finalize(
    tokens: Sequence[Token],
    spans: Sequence[tuple[float | None, float | None]],
    duration_s: float,
) -> tuple[WordTiming, ...]:
    """Clamp into ``[0, duration_s]``, fill missing times from neighbours, make it monotonic
    and non-overlapping. ``spans[i]`` is ``(start, end)`` for ``tokens[i]``; either may be None."""
    n = len(tokens)
    starts = [s for s, _ in spans]
    # fill missing starts by interpolating between known neighbours
    known = [i for i, s in enumerate(starts) if s is not None]
    if not known:
        starts = [duration_s * i / max(n, 1) for i in range(n)]
    else:
        for i in range(n):
            if starts[i] is None:
                prev = max((k for k in known if k < i), default=None)
                nxt = min((k for k in known if k > i), default=None)
                a = starts[prev] if prev is not None else 0.0
                b = starts[nxt] if nxt is not None else duration_s
                lo = prev if prev is not None else -1
                hi = nxt if nxt is not None else n
                starts[i] = a + (b - a) * (i - lo) / (hi - lo)  # type: ignore[operator]
    out: list[WordTiming] = []
    last = 0.0
    clean = [min(max(float(s), 0.0), duration_s) for s in starts]  # type: ignore[arg-type]
    for i in range(n):
        start = max(clean[i], last)
        nxt = duration_s if i + 1 == n else max(min(clean[i + 1], duration_s), start)
        end = spans[i][1]
        end = nxt if end is None else min(max(float(end), start), nxt)
        out.append(WordTiming(word=tokens[i].text, start_s=start, end_s=end))
        last = start
    return tuple(out)


def ends_from_starts(starts: Sequence[float | None], env: Envelope) -> list[float | None]:
    """Each word ends where sound stops before the next word starts (or the audio ends)."""
    out: list[float | None] = []
    for i, s in enumerate(starts):
        if s is None:
            out.append(None)
            continue
        nxt = next((t for t in starts[i + 1 :] if t is not None), env.duration_s)
        end = env.last_voiced_end(s, max(s, nxt))
        out.append(nxt if end is None else end)
    return out


def estimate(tokens: Sequence[Token], env: Envelope) -> list[tuple[float, float]]:
    """Estimated (start, end) per token from the audio's energy and the text (see module doc)."""
    import numpy as np

    n = len(tokens)
    if n == 0:
        return []
    pos: list[tuple[float, float]] = []
    gaps: list[float] = []
    c = 0.0
    for i, t in enumerate(tokens):
        w = syllables(t.text)
        pos.append((c, c + w))
        c += w
        if i + 1 < n:
            g = pause_after(t.text)
            gaps.append(g)
            c += g
    total = c
    dur = env.duration_s
    s0 = env.first_voiced_start(0.0, dur)
    s1 = env.last_voiced_end(0.0, dur)
    if s0 is None or s1 is None or s1 <= s0:
        s0, s1 = 0.0, dur

    def lin(x: float) -> float:
        return s0 + (s1 - s0) * x / total

    xs, ys = [0.0], [s0]
    used = -1
    for a, b in env.pauses():
        if a <= s0 or b >= s1:
            continue
        mid = (a + b) / 2
        cands = range(used + 1, n - 1)
        if not cands:
            break
        best = min(
            cands,
            key=lambda i: abs(lin((pos[i][1] + pos[i + 1][0]) / 2) - mid)
            - (0.3 * (s1 - s0) / max(n, 1) if gaps[i] > _WORD_GAP else 0.0),
        )
        gx0, gx1 = pos[best][1], pos[best + 1][0]
        if gx0 <= xs[-1] or a <= ys[-1]:
            continue
        xs += [gx0, gx1]
        ys += [a, b]
        used = best
    xs.append(total)
    ys.append(s1)
    fx = np.asarray(xs)
    fy = np.asarray(ys)
    return [(float(np.interp(p0, fx, fy)), float(np.interp(p1, fx, fy))) for p0, p1 in pos]
