"""Map a :class:`~ministudio.ClipRequest` to google-genai's ``generate_videos`` arguments.

==========================  =====================================  =========================
ClipRequest                 google-genai                           REST (predictLongRunning)
==========================  =====================================  =========================
prompt                      source.prompt                          instances[0].prompt
first_frame                 source.image                           instances[0].image
extra.extend_video          source.video                           instances[0].video
last_frame                  config.last_frame                      instances[0].lastFrame
reference_images (subject)  config.reference_images (ASSET)        instances[0].referenceImages
candidates                  config.number_of_videos                parameters.sampleCount
duration_s                  config.duration_seconds                parameters.durationSeconds
aspect_ratio / resolution   config.aspect_ratio / resolution       parameters.aspectRatio/resolution
seed / negative_prompt      config.seed / negative_prompt          parameters.seed/negativePrompt
generate_audio              config.generate_audio                  parameters.generateAudio
extra.person_generation     config.person_generation               parameters.personGeneration
output_gcs_uri              config.output_gcs_uri                  parameters.storageUri
==========================  =====================================  =========================
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ministudio.requests import ClipRequest

from ministudio_vertex.rules import IMAGE_TYPES

__all__ = ["build_call", "storage_uri"]


def _image(path: Path) -> Any:
    from google.genai import types

    return types.Image(image_bytes=Path(path).read_bytes(), mime_type=IMAGE_TYPES[Path(path).suffix.lower()])


def _video(source: str) -> Any:
    from google.genai import types

    if source.startswith("gs://"):
        return types.Video(uri=source, mime_type="video/mp4")
    return types.Video(video_bytes=Path(source).read_bytes(), mime_type="video/mp4")


def storage_uri(request: ClipRequest, settings: Mapping[str, Any]) -> str | None:
    """Where Veo writes the videos, one folder per shot; None for inline bytes."""
    base = request.extra.get("output_gcs_uri", settings.get("output_gcs_uri"))
    if not base:
        return None
    return f"{str(base).rstrip('/')}/{request.shot_id or 'clip'}/"


def build_call(request: ClipRequest, settings: Mapping[str, Any]) -> tuple[Any, Any]:
    """``(source, config)`` for ``client.models.generate_videos``."""
    from google.genai import types

    extra = request.extra
    source = types.GenerateVideosSource(
        prompt=request.prompt,
        image=_image(request.first_frame) if request.first_frame is not None else None,
        video=_video(str(extra["extend_video"])) if "extend_video" in extra else None,
    )
    config: dict[str, Any] = {
        "number_of_videos": request.candidates,
        "duration_seconds": int(round(request.duration_s)),
        "aspect_ratio": request.aspect_ratio,
        "resolution": request.resolution,
        "generate_audio": request.generate_audio,
        "seed": request.seed,
        "negative_prompt": request.negative_prompt or None,
        "output_gcs_uri": storage_uri(request, settings),
    }
    if request.last_frame is not None:
        config["last_frame"] = _image(request.last_frame)
    if request.reference_images:
        config["reference_images"] = [
            types.VideoGenerationReferenceImage(image=_image(r.path), reference_type="ASSET")
            for r in request.reference_images
        ]
    person = extra.get("person_generation", settings.get("person_generation"))
    if person is not None:
        config["person_generation"] = person
    if "enhance_prompt" in extra:
        config["enhance_prompt"] = bool(extra["enhance_prompt"])
    if "compression_quality" in extra:
        config["compression_quality"] = str(extra["compression_quality"]).upper()
    if "resize_mode" in extra:
        config["resize_mode"] = str(extra["resize_mode"]).upper()
    labels = {**(settings.get("labels") or {}), **(extra.get("labels") or {})}
    if labels:
        config["labels"] = {str(k): str(v) for k, v in labels.items()}
    clean = {k: v for k, v in config.items() if v is not None}
    return source, types.GenerateVideosConfig(**clean)
