"""Split the text to speak into the words that get timings.

A word is a whitespace-separated token as written, punctuation included (``"dusk."``), so that
``" ".join(w.word for w in result.words)`` gives the text back with its whitespace normalised,
which is what subtitles need. Tokens with no letter or digit (``"—"``, ``"..."``) are not spoken
on their own: they are glued to the previous word (or to the next one at the very start).
"""

from __future__ import annotations

import re

import attrs

__all__ = ["Token", "tokenize"]

_TOKEN = re.compile(r"\S+")


@attrs.frozen(kw_only=True)
class Token:
    text: str
    #: character span in the original text, ``text[start:end]`` (0-based, end exclusive)
    start: int
    end: int


def _speakable(s: str) -> bool:
    return any(c.isalnum() for c in s)


def tokenize(text: str) -> list[Token]:
    raw = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    out: list[list[object]] = []
    pending: list[tuple[str, int, int]] = []  # unspeakable tokens before the first word
    for word, start, end in raw:
        if _speakable(word):
            if pending:
                word = " ".join([p[0] for p in pending] + [word])
                start = pending[0][1]
                pending = []
            out.append([word, start, end])
        elif out:
            out[-1][0] = f"{out[-1][0]} {word}"
            out[-1][2] = end
        else:
            pending.append((word, start, end))
    return [Token(text=str(w), start=int(s), end=int(e)) for w, s, e in out]  # type: ignore[call-overload]
