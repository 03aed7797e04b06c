"""Reading a plain-words description: sentences, quoted speech and explicit hints.

Pure functions over text, no model: :func:`sentences` splits a description into sentences
without breaking inside quotes or after abbreviations (``Dr.``); :func:`quotes` finds quoted
speech (straight or curly quotes); :func:`hints` finds the explicit settings a user writes
into a description (``Duration: 10 seconds``, ``Style: cinematic``, ``9:16``, ``Title: ...``)
and returns the text without them.
"""

from __future__ import annotations

import re

import attrs

__all__ = ["Hints", "Quote", "hints", "quotes", "sentences", "slug"]

_ABBREVIATIONS = {"dr", "mr", "mrs", "ms", "st", "prof", "sr", "jr", "vs", "etc", "capt", "lt",
                  "mt", "no"}
_OPEN = {'"': '"', "\u201c": "\u201d", "\u00ab": "\u00bb"}
_CLOSERS = set(_OPEN.values())


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, in order, whitespace-normalised. A line break ends a
    sentence; ``.``, ``!``, ``?`` end one unless inside quotes or after an abbreviation."""
    out: list[str] = []
    for para in re.split(r"\n\s*", text.strip()):
        buf: list[str] = []
        closing: str | None = None
        i, n = 0, len(para)
        while i < n:
            ch = para[i]
            buf.append(ch)
            if closing is None and ch in _OPEN:
                closing = _OPEN[ch]
            elif closing is not None and ch == closing:
                closing = None
                # a quote that ends a sentence: `"Wow!" Then...` (a capital after the quote)
                if len(buf) > 1 and buf[-2] in ".!?" and _capital_follows(para, i + 1) \
                        and not _attribution_follows(para, i + 1):
                    out.append("".join(buf))
                    buf = []
            elif closing is None and ch in ".!?":
                while i + 1 < n and para[i + 1] in ".!?":
                    i += 1
                    buf.append(para[i])
                if i + 1 < n and para[i + 1] in _CLOSERS:
                    i += 1
                    buf.append(para[i])
                word = re.findall(r"(\w+)\W*$", "".join(buf[:-1]))
                if ch == "." and word and word[0].lower() in _ABBREVIATIONS:
                    i += 1
                    continue
                if ch == "." and re.search(r"\d\.$", "".join(buf)) and i + 1 < n \
                        and para[i + 1].isdigit():
                    i += 1
                    continue
                if i + 1 >= n or para[i + 1].isspace():
                    out.append("".join(buf))
                    buf = []
            i += 1
        if "".join(buf).strip():
            out.append("".join(buf))
    return [" ".join(s.split()) for s in out if s.strip(" .")]


def _capital_follows(text: str, at: int) -> bool:
    rest = text[at:].lstrip()
    return bool(rest) and (rest[0].isupper() or rest[0] in _OPEN)


def _attribution_follows(text: str, at: int) -> bool:
    """``"Run!" Mira shouts.`` keeps the attribution in the same sentence."""
    rest = text[at:].lstrip()
    return bool(re.match(r"^(?:[A-Z][\w'-]*\s+){1,3}(?:says|said|asks|asked|shouts|shouted|"
                         r"whispers|whispered|replies|replied|cries|cried|yells|yelled|"
                         r"laughs|answers|calls|adds|mutters|exclaims)\b", rest))


@attrs.frozen
class Quote:
    text: str
    start: int
    end: int


def quotes(sentence: str) -> list[Quote]:
    """Quoted speech in a sentence (straight, curly or guillemet quotes)."""
    found = []
    for m in re.finditer(r'"([^"]+)"|\u201c([^\u201d]+)\u201d|\u00ab([^\u00bb]+)\u00bb', sentence):
        inner = next(g for g in m.groups() if g is not None).strip()
        if inner:
            found.append(Quote(text=inner, start=m.start(), end=m.end()))
    return found


@attrs.frozen(kw_only=True)
class Hints:
    """Settings stated in the description itself."""

    title: str | None = None
    style: str | None = None
    aspect_ratio: str | None = None
    duration_s: float | None = None
    narration: bool | None = None
    #: the sentences left once hint sentences and phrases are taken out
    rest: tuple[str, ...] = ()


_LABEL = re.compile(r"^\s*(title|style|look|duration|length|runtime|aspect(?:\s+ratio)?|format|"
                    r"ratio|narration|narrator|voice-?over)\s*[:=-]\s*(.+?)\s*[.!]?\s*$", re.I)
_SECONDS = re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*(seconds?|secs?|s|minutes?|mins?|m)\b", re.I)
_RATIO_WORDS = (
    (re.compile(r"\b(9\s*:\s*16|vertical|portrait(?:\s+mode)?|tiktok|reels?|shorts|story format)\b",
                re.I), "9:16"),
    (re.compile(r"\b(16\s*:\s*9|widescreen|landscape|horizontal)\b", re.I), "16:9"),
    (re.compile(r"\b(1\s*:\s*1|square)\b", re.I), "1:1"),
    (re.compile(r"\b4\s*:\s*5\b", re.I), "4:5"),
    (re.compile(r"\b(21\s*:\s*9|ultra-?wide)\b", re.I), "21:9"),
)
#: "a 15-second ad", "a 30 second video", "lasts 20 seconds"
_TOTAL = re.compile(r"\b(\d+(?:\.\d+)?)\s*-?\s*(seconds?|secs?|minutes?|mins?)[- ](?:long\s+)?"
                    r"(?:video|film|clip|ad|advert|commercial|spot|short|story|teaser|trailer|"
                    r"reel|animation|explainer|promo)\b|\b(?:lasts?|lasting|runs?|long|total(?:ling)?)"
                    r"\s+(?:about\s+)?(\d+(?:\.\d+)?)\s*(seconds?|secs?|minutes?|mins?)\b", re.I)


_FILLER = set("a an the this is it make makes made one of in for please with video film clip "
              "ad advert commercial spot short story teaser trailer reel animation explainer "
              "promo format long about".split())


def _seconds(value: str, unit: str) -> float:
    return float(value) * (60.0 if unit.lower().startswith("m") else 1.0)


def _ratio(text: str) -> str | None:
    m = re.search(r"\b(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\b", text)
    if m:
        return f"{m.group(1)}:{m.group(2)}"
    for pattern, ratio in _RATIO_WORDS:
        if pattern.search(text):
            return ratio
    return None


def hints(sentence_list: list[str]) -> Hints:
    """Pick the explicit settings out of the sentences (``Label: value`` sentences are taken
    out whole; an aspect or total length said in passing stays in its sentence)."""
    found: dict[str, object] = {}
    rest: list[str] = []
    for s in sentence_list:
        # "Duration: 10 seconds. Style: cinematic" may arrive as one sentence with a label each
        parts = [p for p in re.split(r"(?<=[.!;])\s+(?=[A-Z][a-z ]*:)", s) if p]
        kept = []
        for part in parts:
            m = _LABEL.match(part)
            if not m:
                kept.append(part)
                continue
            label, value = m.group(1).lower(), m.group(2).strip().strip("\"'\u201c\u201d")
            if label == "title":
                found["title"] = value
            elif label in ("style", "look"):
                found["style"] = value.rstrip(".")
            elif label in ("duration", "length", "runtime"):
                sec = _SECONDS.search(value)
                if sec:
                    found["duration_s"] = _seconds(sec.group(1), sec.group(2))
            elif label.startswith(("aspect", "format", "ratio")):
                ratio = _ratio(value)
                if ratio:
                    found["aspect_ratio"] = ratio
            else:  # narration / narrator / voice-over: a line for the narrator, or on/off
                if value.lower() in ("yes", "on", "true"):
                    found["narration"] = True
                elif value.lower() in ("no", "off", "none", "false"):
                    found["narration"] = False
                else:
                    kept.append(f"Narrator: {value}")
        if kept:
            rest.append(" ".join(kept))
    kept_rest = []
    for s in rest:
        plain = re.sub(r'"[^"]*"|\u201c[^\u201d]*\u201d', "", s)
        if "aspect_ratio" not in found and (ratio := _ratio(plain)):
            found["aspect_ratio"] = ratio
        m = _TOTAL.search(plain)
        if "duration_s" not in found and m:
            value, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            found["duration_s"] = _seconds(value, unit)
        # "A vertical 9:16 short." / "A 15-second ad.": a sentence that only says the format
        left = _TOTAL.sub(" ", plain)
        for pattern, _ in _RATIO_WORDS:
            left = pattern.sub(" ", left)
        words = [w for w in re.findall(r"[A-Za-z']+", left) if w.lower() not in _FILLER]
        if words or plain != s:
            kept_rest.append(s)
    return Hints(rest=tuple(kept_rest), **found)  # type: ignore[arg-type]


def slug(text: str, fallback: str = "x") -> str:
    """An id for the film format: lowercase words joined by ``-``."""
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return value[:40].strip("-") or fallback
