"""From a film to clips: world state, the prompt compiler and the planner.

``plan_film(film, manager, settings)`` returns a :class:`FilmPlan` of :class:`ShotPlan` records,
each with a complete :class:`~ministudio.requests.ClipRequest` (the engine fills ``first_frame``
from the anchor frame of ``continues_from``) and its :class:`SpeechLine` requests.
"""

from __future__ import annotations

from ministudio.compile.planner import (
    CharacterRef,
    FilmPlan,
    ShotPlan,
    SpeechLine,
    plan_film,
    plan_problems,
    split_duration,
)
from ministudio.compile.prompt import CompiledPrompt, compile_prompt
from ministudio.compile.state import CharacterLook, EnvironmentLook, ShotState, world_states

__all__ = [
    "CharacterLook",
    "CharacterRef",
    "CompiledPrompt",
    "EnvironmentLook",
    "FilmPlan",
    "ShotPlan",
    "ShotState",
    "SpeechLine",
    "compile_prompt",
    "plan_film",
    "plan_problems",
    "split_duration",
    "world_states",
]
