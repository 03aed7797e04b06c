"""The models the ``hf`` provider offers, as declared data.

An :class:`HFModel` is one model family (``wan-2.2-a14b``) with up to two *routes*: a
text-to-video route and an image-to-video route (used when a shot starts from a first frame).
A :class:`Route` names the Hugging Face repo id and the inference provider that serves it
(``fal-ai``, ``replicate``, ``novita``, ``together``, ``wavespeed``) and which body fields that
provider's endpoint reads for framing (aspect ratio, resolution, frame rate).

Capabilities are derived from this data (:meth:`HFModel.clip_model`): durations from the frame
counts the endpoint accepts at its frame rate, first frame only when an image-to-video route
exists, never a last frame (``InferenceClient`` has no such argument), no reference images.

Users change a route, the defaults or the extras in their settings, per model::

    [providers.hf.models."wan-2.2-a14b".text_to_video]
    provider = "replicate"
    repo = "Wan-AI/Wan2.2-T2V-A14B"

    [providers.hf.models."wan-2.2-a14b"]
    steps = 20
    guidance = 4.0
    extra = { enable_safety_checker = false }

Routes are read from each provider's model pages (see ``notes``); the Hub resolves the
provider-side model id at call time, so a route that is no longer served fails with a clear
message naming the setting to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs
from ministudio.capabilities import ClipModel, Pricing
from ministudio.errors import ConfigError

__all__ = ["CATALOG", "HFModel", "Route", "apply_settings", "find_model"]

INFERENCE_PROVIDERS = ("fal-ai", "novita", "replicate", "together", "wavespeed")


def _frozen(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@attrs.frozen(kw_only=True)
class Route:
    """Where one task (text-to-video or image-to-video) of a model is served.

    The ``*_param`` fields name the request-body field the provider's endpoint reads for that
    setting; ``None`` means the endpoint has no such field (the model's fixed value applies).
    """

    repo: str
    provider: str
    frames_param: str | None = "num_frames"
    #: send the frame count as a string (some endpoints take an enum such as "129")
    frames_as_str: bool = False
    fps_param: str | None = None
    aspect_ratio_param: str | None = None
    resolution_param: str | None = None
    #: fixed body fields the endpoint needs
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen)


@attrs.frozen(kw_only=True)
class HFModel:
    """One model family: its routes, frame grid, framing options, defaults and price."""

    id: str
    description: str
    text_to_video: Route | None = None
    image_to_video: Route | None = None
    #: the frame rate the model renders at
    fps: int = 16
    #: frame counts the endpoint accepts: ``frame_counts`` (a fixed set), or
    #: ``min_frames``..``max_frames`` on the grid ``frame_base + k * frame_step``
    frame_counts: tuple[int, ...] = ()
    min_frames: int = 17
    max_frames: int = 81
    frame_step: int = 4
    frame_base: int = 1
    aspect_ratios: tuple[str, ...] = ("16:9",)
    resolutions: tuple[str, ...] = ("720p",)
    #: defaults sent when a film does not override them (``None``: the endpoint's own)
    steps: int | None = None
    guidance: float | None = None
    negative_prompt: bool = True
    seed: bool = True
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen)
    pricing: Pricing | None = None
    notes: str = ""

    # -- frames and durations ------------------------------------------------------------

    def allowed_frames(self) -> tuple[int, ...]:
        if self.frame_counts:
            return tuple(sorted(self.frame_counts))
        first = self.min_frames + (-(self.min_frames - self.frame_base)) % self.frame_step
        return tuple(range(first, self.max_frames + 1, self.frame_step))

    def frames_for(self, duration_s: float) -> int:
        """The accepted frame count closest to ``duration_s`` at the model's frame rate."""
        want = duration_s * self.fps
        return min(self.allowed_frames(), key=lambda n: (abs(n - want), n))

    # -- capabilities --------------------------------------------------------------------

    def clip_model(self) -> ClipModel:
        if self.text_to_video is None and self.image_to_video is None:
            raise ConfigError(
                f"hf model {self.id!r} has neither a text-to-video nor an image-to-video route"
            )
        frames = self.allowed_frames()
        route_text = "; ".join(
            f"{kind}: {r.repo} on {r.provider}"
            for kind, r in (("text-to-video", self.text_to_video),
                            ("image-to-video", self.image_to_video))
            if r is not None
        )
        common: dict[str, Any] = {}
        if self.frame_counts:
            common["durations"] = tuple(round(n / self.fps, 4) for n in frames)
            common["min_duration_s"] = common["durations"][0]
            common["max_duration_s"] = common["durations"][-1]
        else:
            common["min_duration_s"] = round(frames[0] / self.fps, 4)
            common["max_duration_s"] = round(frames[-1] / self.fps, 4)
        return ClipModel(
            id=self.id,
            description=self.description,
            aspect_ratios=self.aspect_ratios,
            resolutions=self.resolutions,
            fps=(self.fps,),
            max_reference_images=0,
            first_frame=self.image_to_video is not None,
            last_frame=False,
            native_audio=False,
            seed=self.seed,
            negative_prompt=self.negative_prompt,
            max_candidates=1,
            resumable=False,
            pricing=self.pricing,
            notes=" ".join(
                p for p in (
                    f"Routes: {route_text}.",
                    f"Frames: {_frames_text(self)} at {self.fps} fps.",
                    "No last frame, no reference images (not in the Inference Providers API).",
                    self.notes,
                ) if p
            ),
            **common,
        )


def _frames_text(m: HFModel) -> str:
    if m.frame_counts:
        return ", ".join(str(n) for n in sorted(m.frame_counts))
    return f"{m.min_frames}–{m.max_frames} (step {m.frame_step})"


# -- the shipped catalog -------------------------------------------------------------------
#
# Parameter names follow the endpoints' public schemas (fal.ai model pages, replicate model
# pages) as read in 2026; ``notes`` says where each comes from. Prices are left unknown
# (``None``) unless a published per-second price was read: Hugging Face passes the provider's
# price through for routed requests, and providers change them often.

_FAL_WAN22 = dict(
    provider="fal-ai",
    fps_param="frames_per_second",
    aspect_ratio_param="aspect_ratio",
    resolution_param="resolution",
)

CATALOG: tuple[HFModel, ...] = (
    HFModel(
        id="wan-2.2-a14b",
        description="Wan 2.2 A14B (MoE) text/image-to-video, 16 fps, 480p/720p",
        text_to_video=Route(repo="Wan-AI/Wan2.2-T2V-A14B", **_FAL_WAN22),
        image_to_video=Route(repo="Wan-AI/Wan2.2-I2V-A14B", **_FAL_WAN22),
        fps=16,
        min_frames=17,
        max_frames=161,
        frame_step=4,
        aspect_ratios=("16:9", "9:16", "1:1"),
        resolutions=("480p", "720p"),
        notes="fal.ai wan/v2.2-a14b endpoints (num_frames 17–161, frames_per_second, "
        "resolution, aspect_ratio).",
    ),
    HFModel(
        id="wan-2.1-14b",
        description="Wan 2.1 14B text/image-to-video, 16 fps, 480p/720p",
        text_to_video=Route(repo="Wan-AI/Wan2.1-T2V-14B", **_FAL_WAN22),
        image_to_video=Route(repo="Wan-AI/Wan2.1-I2V-14B-720P", **_FAL_WAN22),
        fps=16,
        min_frames=81,
        max_frames=100,
        frame_step=1,
        aspect_ratios=("16:9", "9:16"),
        resolutions=("480p", "720p"),
        notes="fal.ai wan-t2v / wan-i2v endpoints (num_frames 81–100).",
    ),
    HFModel(
        id="ltx-video",
        description="Lightricks LTX-Video text-to-video, fast, 24 fps, 480p",
        text_to_video=Route(repo="Lightricks/LTX-Video", provider="fal-ai", frames_param=None),
        fps=24,
        frame_counts=(121,),
        aspect_ratios=("16:9",),
        resolutions=("480p",),
        steps=30,
        guidance=3.0,
        notes="fal.ai ltx-video endpoint takes no frame count (fixed-length output). The Hub "
        "maps one task per repo and provider, so this repo has no image-to-video route.",
    ),
    HFModel(
        id="hunyuan-video",
        description="Tencent HunyuanVideo text-to-video, 24 fps, 480p/720p",
        text_to_video=Route(
            repo="tencent/HunyuanVideo",
            provider="fal-ai",
            frames_as_str=True,
            aspect_ratio_param="aspect_ratio",
            resolution_param="resolution",
        ),
        fps=24,
        frame_counts=(85, 129),
        aspect_ratios=("16:9", "9:16"),
        resolutions=("480p", "720p"),
        guidance=None,
        negative_prompt=False,
        notes="fal.ai hunyuan-video endpoint (num_frames \"85\" or \"129\"; no negative prompt). "
        "The huggingface_hub documentation uses this route as its text-to-video example.",
    ),
    HFModel(
        id="cogvideox-5b",
        description="THUDM CogVideoX-5B text/image-to-video, 8 fps, 49 frames (~6 s)",
        text_to_video=Route(repo="THUDM/CogVideoX-5b", provider="fal-ai", frames_param=None),
        image_to_video=Route(repo="THUDM/CogVideoX-5b-I2V", provider="fal-ai", frames_param=None),
        fps=8,
        frame_counts=(49,),
        aspect_ratios=("3:2",),
        resolutions=("720x480",),
        steps=50,
        guidance=7.0,
        notes="CogVideoX-5B renders 49 frames at 8 fps (6.1 s), 720x480 (model card).",
    ),
    HFModel(
        id="mochi-1",
        description="Genmo Mochi 1 preview text-to-video, 30 fps, 480p",
        text_to_video=Route(repo="genmo/mochi-1-preview", provider="replicate", fps_param="fps"),
        fps=30,
        min_frames=7,
        max_frames=163,
        frame_step=6,
        aspect_ratios=("16:9",),
        resolutions=("480p",),
        notes="Replicate genmo/mochi-1 (num_frames 6k+1 up to 163, fps). The huggingface_hub "
        "documentation uses this route as its replicate example.",
    ),
)


def find_model(models: tuple[HFModel, ...], model_id: str | None) -> HFModel:
    if model_id is None:
        return models[0]
    for m in models:
        if m.id == model_id:
            return m
    raise ConfigError(
        f"hf has no model {model_id!r}; choose one of: {', '.join(m.id for m in models)}"
    )


# -- settings overrides --------------------------------------------------------------------

_ROUTE_KEYS = {f.name for f in attrs.fields(Route)}
_MODEL_KEYS = {"steps", "guidance", "extra"}


def apply_settings(model: HFModel, settings: Mapping[str, Any]) -> HFModel:
    """``model`` with the user's ``[providers.hf.models.ID]`` overrides applied.

    Only routes, defaults and extras can change; capabilities stay as declared, because core
    checks requests against the declared model before calling the provider.
    """
    table = (settings.get("models") or {}).get(model.id) or {}
    if not isinstance(table, Mapping):
        raise ConfigError(f"providers.hf.models.{model.id} must be a table")
    problems: list[str] = []
    changes: dict[str, Any] = {}
    for key, value in table.items():
        where = f"providers.hf.models.{model.id}.{key}"
        if key in ("text_to_video", "image_to_video"):
            if not isinstance(value, Mapping):
                problems.append(f"{where}: expected a table with repo and provider")
                continue
            unknown = sorted(set(value) - _ROUTE_KEYS)
            if unknown:
                problems.append(f"{where}: unknown key(s) {', '.join(unknown)} "
                                f"(known: {', '.join(sorted(_ROUTE_KEYS))})")
                continue
            current: Route | None = getattr(model, key)
            if current is None:
                if key == "image_to_video":
                    problems.append(
                        f"{where}: {model.id} declares no image-to-video capability; "
                        "an image-to-video route cannot be added from settings"
                    )
                    continue
                if "repo" not in value or "provider" not in value:
                    problems.append(f"{where}: a new route needs repo and provider")
                    continue
                changes[key] = Route(**value)
            else:
                changes[key] = attrs.evolve(current, **value)
            provider = changes[key].provider
            if provider not in INFERENCE_PROVIDERS:
                problems.append(
                    f"{where}.provider: {provider!r} does not serve video "
                    f"(video providers: {', '.join(INFERENCE_PROVIDERS)})"
                )
        elif key in _MODEL_KEYS:
            if key == "extra" and not isinstance(value, Mapping):
                problems.append(f"{where}: expected a table")
                continue
            changes[key] = value
        else:
            problems.append(
                f"{where}: unknown key (known: text_to_video, image_to_video, "
                + ", ".join(sorted(_MODEL_KEYS)) + ")"
            )
    if problems:
        raise ConfigError("invalid hf settings", problems=problems)
    return attrs.evolve(model, **changes)
