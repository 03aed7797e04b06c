"""Named looks (style presets) and camera setups (cinematography presets).

A preset only fills what the film leaves empty: a shot's own ``type`` and ``camera`` win
over its cinematography preset, and the film's own style traits come after the preset's.
"""

from __future__ import annotations

import attrs

from ministudio.film.model import ShotType

__all__ = ["CINEMATOGRAPHY_PRESETS", "STYLE_PRESETS", "CinematographyPreset", "StylePreset"]


@attrs.frozen(kw_only=True)
class StylePreset:
    traits: tuple[str, ...]
    negative_prompt: str


@attrs.frozen(kw_only=True)
class CinematographyPreset:
    shot_type: ShotType
    movement: str
    lens: str
    #: a composition note added to the prompt
    note: str


STYLE_PRESETS: dict[str, StylePreset] = {
    "cinematic": StylePreset(
        traits=("cinematic film look", "anamorphic depth of field", "natural film grain",
                "motivated lighting", "rich contrast"),
        negative_prompt="flat lighting, oversaturated colours, text, watermark",
    ),
    "ghibli": StylePreset(
        traits=("hand-painted 2D animation in the style of classic Japanese animated films",
                "soft watercolour backgrounds", "gentle pastel palette", "clean line art"),
        negative_prompt="photorealistic, 3D render, harsh shadows, text, watermark",
    ),
    "cyberpunk": StylePreset(
        traits=("neon-soaked cyberpunk city look", "magenta and cyan practical lights",
                "wet reflective surfaces", "dense atmosphere with haze"),
        negative_prompt="daylight, pastoral, muted colours, text, watermark",
    ),
    "realistic": StylePreset(
        traits=("photorealistic", "true-to-life skin texture", "natural colour grading",
                "documentary realism"),
        negative_prompt="cartoon, illustration, plastic skin, distorted hands, text, watermark",
    ),
    "storybook": StylePreset(
        traits=("storybook illustration brought to life", "gouache textures",
                "warm limited palette", "simple readable shapes"),
        negative_prompt="photorealistic, gore, clutter, text, watermark",
    ),
    "flat-explainer": StylePreset(
        traits=("clean flat vector animation", "bold simple shapes", "smooth motion graphics",
                "high legibility"),
        negative_prompt="photorealistic, noise, clutter, distorted text, watermark",
    ),
}

CINEMATOGRAPHY_PRESETS: dict[str, CinematographyPreset] = {
    "establishing-wide": CinematographyPreset(
        shot_type=ShotType.EXTREME_WIDE, movement="slow aerial drift", lens="24mm",
        note="establishes the whole place, deep focus",
    ),
    "dramatic-close-up": CinematographyPreset(
        shot_type=ShotType.CLOSE_UP, movement="slow push-in", lens="85mm",
        note="shallow depth of field, strong side light on the face",
    ),
    "intimate-dialogue": CinematographyPreset(
        shot_type=ShotType.MEDIUM_CLOSE_UP, movement="static", lens="50mm",
        note="eye-level, soft light, background gently out of focus",
    ),
    "over-the-shoulder": CinematographyPreset(
        shot_type=ShotType.OVER_THE_SHOULDER, movement="static", lens="50mm",
        note="framed over the listener's shoulder onto the speaker",
    ),
    "action-tracking": CinematographyPreset(
        shot_type=ShotType.MEDIUM_WIDE, movement="fast tracking alongside the subject",
        lens="35mm", note="dynamic motion, subject kept in frame",
    ),
    "documentary-handheld": CinematographyPreset(
        shot_type=ShotType.MEDIUM, movement="handheld, subtle sway", lens="35mm",
        note="observational, natural light",
    ),
    "product-hero": CinematographyPreset(
        shot_type=ShotType.INSERT, movement="slow orbit", lens="100mm macro",
        note="clean background, the object fills the frame",
    ),
}
