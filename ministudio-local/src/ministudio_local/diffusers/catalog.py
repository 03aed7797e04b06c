"""The open video models we know how to drive, as plain data (no torch import).

Each :class:`ModelEntry` says which diffusers pipeline class serves which mode, the model's native
frame rate and frame-count rule, the sizes it was trained at and a memory note. ``clip_model()``
turns it into the :class:`~ministudio.ClipModel` capabilities core checks requests against:

- durations: ``max_frames / native_fps`` (rounded down to 0.1 s) is the longest shot. The model
  renders the smallest valid frame count (``k * frame_multiple + 1``) covering the shot, and the
  clip is trimmed to the exact duration;
- fps: the native rate, plus 24/25/30 by re-timing (each output frame shows the generated frame
  at that instant), unless the model takes the frame rate as an input (LTX-Video);
- resolutions / aspect ratios: the ones listed in ``sizes``; frames are rendered at the model's
  size and resized (centre crop + Lanczos) to the film's exact frame size.
"""

from __future__ import annotations

import enum
import math
from decimal import Decimal

import attrs
from ministudio.capabilities import ClipModel, Operation, Pricing, ProviderSpec, Setting

__all__ = ["CATALOG", "Mode", "ModelEntry", "entry_for", "provider_specs"]


class Mode(str, enum.Enum):
    """What a call conditions on. Chosen from the request (first/last frame, extension)."""

    TEXT = "text-to-video"
    IMAGE = "image-to-video"  #: first frame
    FIRST_LAST = "first-last-frame"  #: first and/or last frame
    EXTEND = "extension"  #: continue an existing clip (its last frames at index 0)


@attrs.frozen(kw_only=True)
class ModelEntry:
    id: str
    provider: str
    family: str  #: "wan", "ltx" or "cogvideox" (decides how the pipeline is called)
    hf_id: str  #: default weights (a Hugging Face model id); settings may point elsewhere
    description: str
    #: mode -> diffusers pipeline class name. The first one listed is loaded with
    #: ``from_pretrained``; the others are built from it with ``from_pipe`` (shared weights).
    pipelines: tuple[tuple[Mode, str], ...]
    native_fps: int
    frame_multiple: int  #: valid frame counts are k * frame_multiple + 1
    max_frames: int
    #: the model takes the frame rate as an input (no re-timing needed)
    fps_input: bool = False
    #: (aspect ratio, resolution) -> (width, height) the model renders at
    sizes: tuple[tuple[str, str, int, int], ...]
    steps: int = 50
    guidance_scale: float = 5.0
    #: load the VAE in float32 even when the rest runs in bf16/fp16 (Wan's recommendation)
    vae_float32: bool = False
    memory: str = ""

    @property
    def modes(self) -> frozenset[Mode]:
        return frozenset(m for m, _ in self.pipelines)

    @property
    def needs_image(self) -> bool:
        return Mode.TEXT not in self.modes and Mode.EXTEND not in self.modes

    def pipeline_for(self, mode: Mode) -> str:
        for m, cls in self.pipelines:
            if m == mode:
                return cls
        raise KeyError(mode)

    @property
    def needs_both_frames(self) -> bool:
        """Only first-and-last-frame generation (Wan FLF2V): both images are required."""
        return self.modes == frozenset({Mode.FIRST_LAST})

    @property
    def base_pipeline(self) -> str:
        return self.pipelines[0][1]

    @property
    def max_duration_s(self) -> float:
        return math.floor(self.max_frames / self.native_fps * 10) / 10

    def size(self, aspect_ratio: str, resolution: str) -> tuple[int, int]:
        for a, r, w, h in self.sizes:
            if a == aspect_ratio and r == resolution:
                return w, h
        raise KeyError((aspect_ratio, resolution))

    def clip_model(self) -> ClipModel:
        fps = (24, 25, 30) if self.fps_input else tuple(sorted({self.native_fps, 24, 25, 30}))
        modes = self.modes
        timing = (
            "frame rate given to the model (24/25/30)"
            if self.fps_input
            else f"renders at {self.native_fps} fps, re-timed to the film's rate"
        )
        notes = (
            f"weights: {self.hf_id} (or a local folder, see [providers.{self.provider}.weights]); "
            f"up to {self.max_frames} frames, counts of {self.frame_multiple}k+1; {timing}; "
            f"{self.memory}"
        )
        if self.needs_both_frames:
            notes += "; needs both a first and a last frame"
        elif self.needs_image:
            notes += "; needs a first frame (image-to-video only)"
        return ClipModel(
            id=self.id,
            description=self.description,
            min_duration_s=0.5,
            max_duration_s=self.max_duration_s,
            aspect_ratios=tuple(dict.fromkeys(a for a, _, _, _ in self.sizes)),
            resolutions=tuple(dict.fromkeys(r for _, r, _, _ in self.sizes)),
            fps=fps,
            first_frame=bool(modes & {Mode.IMAGE, Mode.FIRST_LAST}),
            last_frame=Mode.FIRST_LAST in modes,
            seed=True,
            negative_prompt=True,
            extension_s=(
                math.floor((self.max_frames - _EXTEND_OVERLAP) / self.native_fps * 10) / 10
                if Mode.EXTEND in modes
                else None
            ),
            max_concurrency=1,
            pricing=Pricing(per_second=Decimal(0), source="runs on your own hardware"),
            notes=notes,
        )


#: frames of the previous clip an LTX extension is conditioned on (8k+1)
_EXTEND_OVERLAP = 9


def _both(resolution: str, w: int, h: int) -> tuple[tuple[str, str, int, int], ...]:
    return (("16:9", resolution, w, h), ("9:16", resolution, h, w))


_WAN_T2V = ((Mode.TEXT, "WanPipeline"),)
_WAN_I2V = ((Mode.IMAGE, "WanImageToVideoPipeline"),)
_WAN_FLF = ((Mode.FIRST_LAST, "WanImageToVideoPipeline"),)
_WAN_MEM = "bf16; model offload lowers peak VRAM, sequential offload lowers it most (slow)"

CATALOG: tuple[ModelEntry, ...] = (
    ModelEntry(
        id="wan2.1-t2v-1.3b", provider="wan", family="wan",
        hf_id="Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
        description="Wan 2.1 text-to-video, 1.3B parameters, 480p",
        pipelines=_WAN_T2V, native_fps=16, frame_multiple=4, max_frames=81,
        sizes=_both("480p", 832, 480), vae_float32=True,
        memory="about 8 GB VRAM with model offload (bf16), ~4 min per 5 s clip on an RTX 4090",
    ),
    ModelEntry(
        id="wan2.1-t2v-14b", provider="wan", family="wan",
        hf_id="Wan-AI/Wan2.1-T2V-14B-Diffusers",
        description="Wan 2.1 text-to-video, 14B parameters, 480p/720p",
        pipelines=_WAN_T2V, native_fps=16, frame_multiple=4, max_frames=81,
        sizes=_both("480p", 832, 480) + _both("720p", 1280, 720), vae_float32=True,
        memory="14B: 40+ GB VRAM in bf16 without offload; " + _WAN_MEM,
    ),
    ModelEntry(
        id="wan2.1-i2v-14b-480p", provider="wan", family="wan",
        hf_id="Wan-AI/Wan2.1-I2V-14B-480P-Diffusers",
        description="Wan 2.1 image-to-video (first frame), 14B, 480p",
        pipelines=_WAN_I2V, native_fps=16, frame_multiple=4, max_frames=81,
        sizes=_both("480p", 832, 480), vae_float32=True,
        memory="14B + CLIP image encoder: 40+ GB VRAM in bf16 without offload; " + _WAN_MEM,
    ),
    ModelEntry(
        id="wan2.1-i2v-14b-720p", provider="wan", family="wan",
        hf_id="Wan-AI/Wan2.1-I2V-14B-720P-Diffusers",
        description="Wan 2.1 image-to-video (first frame), 14B, 720p",
        pipelines=_WAN_I2V, native_fps=16, frame_multiple=4, max_frames=81,
        sizes=_both("720p", 1280, 720), vae_float32=True,
        memory="14B + CLIP image encoder: 40+ GB VRAM in bf16 without offload; " + _WAN_MEM,
    ),
    ModelEntry(
        id="wan2.1-flf2v-14b-720p", provider="wan", family="wan",
        hf_id="Wan-AI/Wan2.1-FLF2V-14B-720P-diffusers",
        description="Wan 2.1 first-and-last-frame-to-video, 14B, 720p",
        pipelines=_WAN_FLF, native_fps=16, frame_multiple=4, max_frames=81,
        sizes=_both("720p", 1280, 720), vae_float32=True,
        memory="14B + CLIP image encoder: 40+ GB VRAM in bf16 without offload; " + _WAN_MEM,
    ),
    ModelEntry(
        id="wan2.2-ti2v-5b", provider="wan", family="wan",
        hf_id="Wan-AI/Wan2.2-TI2V-5B-Diffusers",
        description="Wan 2.2 text/image-to-video, 5B parameters, 720p at 24 fps",
        pipelines=((Mode.TEXT, "WanPipeline"), (Mode.IMAGE, "WanImageToVideoPipeline")),
        native_fps=24, frame_multiple=4, max_frames=121,
        sizes=_both("720p", 1280, 704), vae_float32=True,
        memory="about 24 GB VRAM in bf16 with model offload",
    ),
    ModelEntry(
        id="ltx-video-0.9.5", provider="ltx-video", family="ltx",
        hf_id="Lightricks/LTX-Video-0.9.5",
        description=(
            "LTX-Video 0.9.5: text-to-video, and conditioning on images or video at frame "
            "indices (first frame, last frame, extension of a previous clip)"
        ),
        pipelines=(
            (Mode.TEXT, "LTXPipeline"),
            (Mode.IMAGE, "LTXConditionPipeline"),
            (Mode.FIRST_LAST, "LTXConditionPipeline"),
            (Mode.EXTEND, "LTXConditionPipeline"),
        ),
        native_fps=24, frame_multiple=8, max_frames=257, fps_input=True,
        sizes=(
            *_both("480p", 832, 480), *_both("720p", 1280, 704),
            ("1:1", "480p", 480, 480), ("1:1", "720p", 704, 704),
        ),
        steps=40, guidance_scale=3.0,
        memory="2B transformer + T5-XXL text encoder: about 16 GB VRAM in bf16 with model offload",
    ),
    ModelEntry(
        id="cogvideox-5b-i2v", provider="cogvideox", family="cogvideox",
        hf_id="THUDM/CogVideoX-5b-I2V",
        description="CogVideoX 5B image-to-video (first frame), 720x480, 49 frames at 8 fps",
        pipelines=((Mode.IMAGE, "CogVideoXImageToVideoPipeline"),),
        native_fps=8, frame_multiple=48, max_frames=49,
        # trained at 720x480 only (learned positional embeddings): 16:9 is a centre crop
        sizes=(("3:2", "480p", 720, 480), ("16:9", "480p", 720, 480)),
        guidance_scale=6.0,
        memory="about 5 GB VRAM with sequential offload + VAE tiling, 16+ GB without",
    ),
    ModelEntry(
        id="cogvideox1.5-5b-i2v", provider="cogvideox", family="cogvideox",
        hf_id="THUDM/CogVideoX1.5-5B-I2V",
        description="CogVideoX 1.5 5B image-to-video (first frame), 5 or 10 s at 16 fps",
        pipelines=((Mode.IMAGE, "CogVideoXImageToVideoPipeline"),),
        native_fps=16, frame_multiple=80, max_frames=161,
        sizes=(*_both("720p", 1360, 768), ("1:1", "720p", 768, 768)),
        guidance_scale=6.0,
        memory="about 10 GB VRAM with sequential offload + VAE tiling, 24+ GB without",
    ),
)

_PROVIDERS = {
    "wan": "Wan 2.x open video models (Alibaba) run locally through diffusers",
    "ltx-video": "LTX-Video (Lightricks) run locally through diffusers",
    "cogvideox": "CogVideoX (THUDM / Zhipu) image-to-video run locally through diffusers",
}

_DEFAULT = {"wan": "wan2.1-t2v-1.3b", "ltx-video": "ltx-video-0.9.5", "cogvideox": "cogvideox-5b-i2v"}


def entry_for(provider: str, model: str | None) -> ModelEntry:
    wanted = model or _DEFAULT[provider]
    for entry in CATALOG:
        if entry.provider == provider and entry.id == wanted:
            return entry
    raise KeyError(f"{provider} has no model {wanted!r}")


#: the keys of ``[providers.wan]``, ``[providers.ltx-video]``... (docs/local-models.md)
SETTINGS = (
    Setting(name="device", default="auto", description="auto, cpu, cuda, cuda:N or mps"),
    Setting(name="dtype", default="auto", choices=("auto", "float32", "float16", "bfloat16")),
    Setting(name="offload", default="none", choices=("none", "model", "sequential")),
    Setting(name="vae_tiling", type="bool", default=False),
    Setting(name="steps", type="int", description="sampling steps (default: the model's)"),
    Setting(name="guidance_scale", type="float", description="default: the model's"),
    Setting(name="size", description="WIDTHxHEIGHT to render at (then resized)"),
    Setting(name="local_files_only", type="bool", default=False,
            description="never download; use the Hugging Face cache only"),
    Setting(name="revision", description="a Hub revision of the weights"),
    Setting(name="weights", type="table", description="model id -> Hub id or local folder"),
    Setting(name="model_path", description="weights for the one model used"),
    Setting(name="crf", type="int", default=18),
    Setting(name="preset", default="medium", description="x264 preset"),
)


def provider_specs() -> list[ProviderSpec]:
    """One :class:`ProviderSpec` per model family; cheap (no torch, no diffusers import)."""
    return [
        ProviderSpec(
            name=name,
            operations={Operation.CLIP},
            description=desc + " (extra: ministudio-local[diffusers])",
            clip_models=tuple(e.clip_model() for e in CATALOG if e.provider == name),
            default_model=_DEFAULT[name],
            settings=SETTINGS,
        )
        for name, desc in _PROVIDERS.items()
    ]
