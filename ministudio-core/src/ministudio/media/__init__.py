"""MiniStudio's media layer, on PyAV (FFmpeg inside the wheel; no system ffmpeg needed).

Public API (see ``docs/media.md``):

Probing
    :func:`probe` (headers) and :func:`validate_clip` (decodes every frame and audio packet;
    rejects empty, truncated, damaged, non-video and wrong-length files with
    :class:`~ministudio.errors.MediaError`)
    return :class:`MediaInfo`.
Stills and scores
    :func:`extract_anchor_frame` (last sharp frame, lossless PNG, cached by content hash),
    :func:`validate_and_anchor` (validation and anchor frame from one decode pass),
    :func:`look_score` (colour/structure continuity, ``kind="look"``, not a face score),
    :func:`contact_sheet` (one labelled frame per shot, PNG), :func:`slate_clip` (a visible
    "missing shot" card).
Assembly
    :func:`assemble` joins :class:`AssemblyShot` records into a film under
    :class:`AssemblySettings` and returns an :class:`AssemblyResult`: video stream copy (a
    clip that differs from the film's parameters is re-encoded alone), one continuous AAC
    track (no per-clip priming, so no drift) mixing each shot's own sound under narration
    and dialogue with ducking and loudness normalisation, cut or crossfade transitions, a soft
    ``mov_text`` subtitle track and optional burn-in; memory is flat in the number of shots.
Subtitles
    :class:`Cue`, :func:`cues_from_words`, :func:`write_srt`, :func:`write_vtt`.
Files
    :func:`atomic_output` (temp file in the same folder + ``os.replace``).

Heavy imports (``av``, ``numpy``, ``PIL``) happen inside functions.
"""

from __future__ import annotations

from ministudio.media.anchor import extract_anchor_frame, validate_and_anchor
from ministudio.media.assemble import (
    AssemblyResult,
    AssemblySettings,
    AssemblyShot,
    ShotPlacement,
    SpeechPlacement,
    assemble,
)
from ministudio.media.atomic import atomic_output
from ministudio.media.audio import integrated_loudness, write_wav
from ministudio.media.look import look_score
from ministudio.media.probe import MediaInfo, file_digest, probe, validate_clip
from ministudio.media.sheet import contact_sheet
from ministudio.media.slate import slate_clip
from ministudio.media.subtitles import Cue, cues_from_words, write_srt, write_vtt

__all__ = [
    "AssemblyResult",
    "AssemblySettings",
    "AssemblyShot",
    "Cue",
    "MediaInfo",
    "ShotPlacement",
    "SpeechPlacement",
    "assemble",
    "atomic_output",
    "contact_sheet",
    "cues_from_words",
    "extract_anchor_frame",
    "validate_and_anchor",
    "file_digest",
    "integrated_loudness",
    "look_score",
    "probe",
    "slate_clip",
    "validate_clip",
    "write_srt",
    "write_vtt",
    "write_wav",
]
