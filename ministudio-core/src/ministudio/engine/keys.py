"""Cache keys: a SHA-256 of everything that determines a provider's output.

A clip's key covers the provider, model, compiled prompt, every parameter, the seed, and the
*bytes* (not the paths) of reference images and start/end frames, so a re-extracted anchor
frame that is identical keeps the key while an edited portrait changes it. The shot id is a
label, not an input, and is left out (renaming a shot does not pay again).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ministudio.converter import unstructure
from ministudio.requests import ClipRequest, SpeechRequest

__all__ = ["KEY_VERSION", "clip_key", "file_digest", "speech_key"]

#: bump when the key's recipe changes, so old cache entries are not reused by mistake
KEY_VERSION = "ministudio-key-1"



def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (the store's digest, remembered while the file is unchanged:
    inode, size, mtime and ctime)."""
    from ministudio.engine.store import content_digest

    return content_digest(Path(path))


def _hash(kind: str, data: Any) -> str:
    blob = json.dumps([KEY_VERSION, kind, data], sort_keys=True, default=str,
                      separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def clip_key(request: ClipRequest) -> str:
    data = unstructure(request)
    data.pop("shot_id", None)
    data["reference_images"] = [
        {"sha256": file_digest(r.path), "role": r.role.value, "label": r.label}
        for r in request.reference_images
    ]
    for field in ("first_frame", "last_frame"):
        value = getattr(request, field)
        data[field] = file_digest(value) if value is not None else None
    return _hash("clip", data)


def speech_key(request: SpeechRequest) -> str:
    data = unstructure(request)
    data.pop("shot_id", None)
    return _hash("speech", data)
