"""What language-model drafters say to their model: one set of instructions for every plugin.

:func:`instructions` is the system text (the film format in a paragraph, the rules that the
loader checks most often); :func:`message` is the user turn of a round: the description and
the user's fixed choices, or, on a repair round, the located problems and the previous
answer to fix.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["instructions", "message"]


def instructions() -> str:
    from ministudio.film.presets import CINEMATOGRAPHY_PRESETS, STYLE_PRESETS

    return (
        "You turn a short description of a video into a MiniStudio film: one JSON object that "
        "follows the JSON Schema you are given. A film has a title, characters (id -> name, "
        "description with the person's gender, identity traits, wardrobe), environments (id -> "
        "description, lighting, time_of_day) and scenes; each scene names its environment and "
        "characters and holds shots. Write one shot per action: its 'action' says what is seen, "
        "quoted speech becomes 'dialogue' [{speaker: character id, line}], a narrator's words "
        "become 'narration'. Use ids of lowercase letters, digits and '-'. Every speaker must be "
        "in the shot's characters. 'duration' is seconds or 'auto' (fitted to the speech). "
        f"Style presets: {', '.join(STYLE_PRESETS)}. Shot presets: "
        f"{', '.join(CINEMATOGRAPHY_PRESETS)}. Write no reference image paths. "
        "Answer with the JSON object only."
    )


def message(request: Any) -> str:
    """The user turn for ``request`` (a :class:`~ministudio.DraftRequest`)."""
    fixed = {k: v for k, v in dict(request.hints).items() if v not in (None, "")}
    if request.problems:
        return (
            "The film you wrote has these problems (file:line: path: what is wrong):\n"
            + "\n".join(f"- {p}" for p in request.problems)
            + "\nFix exactly these and keep everything else. The film was:\n"
            + (request.previous or "")
        )
    text = f"Description:\n{request.text}"
    if fixed:
        text += "\nKeep these as given: " + json.dumps(fixed, sort_keys=True, default=str)
    return text
