"""Small pieces every provider uses: output paths and request checks engines share."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ministudio.context import CallContext
from ministudio.errors import CapabilityError
from ministudio.requests import SpeechRequest

__all__ = ["no_pitch", "output_path"]


def output_path(request: SpeechRequest, context: CallContext) -> Path:
    """A stable file name in the workdir: the shot id (if any) plus a hash of the request."""
    key = "\0".join(str(v) for v in (request.provider, request.model, request.voice,
                                      request.language, request.rate, request.pitch,
                                      request.instructions, request.text))
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    stem = f"{request.shot_id}-" if request.shot_id else ""
    return Path(context.workdir) / f"{stem}{request.provider}-{digest}.wav"


def no_pitch(request: SpeechRequest) -> None:
    if request.pitch:
        raise CapabilityError(
            f"{request.provider} cannot shift pitch (asked {request.pitch:+g} semitones)",
            provider=request.provider,
            hint="remove pitch, or use the espeak or google provider",
        )
