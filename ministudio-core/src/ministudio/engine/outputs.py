"""The deliverables of a render, written into ``--out``.

``<title>.mp4`` (with a soft subtitle track), ``<title>.srt`` / ``.vtt``, ``contact-sheet.png``,
``clips/`` and ``audio/`` (the shots and speech lines, for editors), ``<title>.otio`` (an
OpenTimelineIO timeline referencing them), ``identity/`` (per shot and character, the face
crops its identity score used), ``manifest.json`` (see ``docs/manifest.md``) and
``report.html``. Every file is written atomically (a temporary file, then a
rename). ``clips/`` and ``audio/`` hold copies (or copy-on-write reflinks) of the store's
files, checked against their hashes, never hard links: editing them cannot change the store.
Nothing is assembled from stored media whose bytes no longer match their hash.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ministudio.converter import unstructure

__all__ = ["MANIFEST_VERSION", "build_manifest", "write_manifest", "write_outputs",
           "write_report", "write_timeline"]

MANIFEST_VERSION = 1


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "film"


#: Linux ``FICLONE`` ioctl: share the blocks copy-on-write (btrfs, XFS, bcachefs...)
_FICLONE = 0x40049409


def _clone_or_copy(src: Path, dest: Path) -> None:
    """``dest`` gets ``src``'s bytes as a new file of its own: a reflink where the file system
    can share blocks copy-on-write, else a byte copy. Never a hard link."""
    try:
        import fcntl

        with open(src, "rb") as inp, open(dest, "wb") as out:
            fcntl.ioctl(out.fileno(), _FICLONE, inp.fileno())
        return
    except (ImportError, OSError):
        pass
    shutil.copyfile(src, dest)


def _stored(src: Path, media: str | None, what: str) -> None:
    """Refuse to use a stored file whose bytes no longer hash to its store name."""
    from ministudio.engine.store import matches_name
    from ministudio.errors import MediaError

    if media and not matches_name(src, media):
        raise MediaError(
            f"{what}: the stored file {media} is damaged (its bytes no longer match its hash)",
            hint="run the render again: damaged media is treated as missing and regenerated",
        )


def _deliver(src: Path, dest: Path, media: str | None, what: str) -> Path:
    """Publish a copy of ``src`` at ``dest`` atomically (temporary file, then rename). With
    ``media`` (its store name) the copy is checked against the name, so the delivered file
    always has the hash the manifest gives. Editing the copy can never change the store."""
    from ministudio.engine.store import matches_name
    from ministudio.errors import MediaError
    from ministudio.media.atomic import atomic_output

    with atomic_output(dest) as tmp:
        _clone_or_copy(src, tmp)
        if media and not matches_name(tmp, media):
            raise MediaError(f"{what}: the stored file {media} is damaged",
                             hint="run the render again: damaged media is regenerated")
    return dest


def write_outputs(result: Any, film_path: Path, workdir: Path, settings: Any) -> Any:
    """Assemble the film and write every sidecar; returns ``result`` with ``film``/``files``
    and ``wall_s`` grown by the time spent here (assembly included)."""
    import time

    from ministudio.capabilities import frame_size
    from ministudio.media import (
        AssemblySettings,
        AssemblyShot,
        SpeechPlacement,
        assemble,
        contact_sheet,
        cues_from_words,
        slate_clip,
        write_srt,
        write_vtt,
    )
    from ministudio.requests import WordTiming

    entered = time.monotonic()
    plan = result.plan
    out: Path = result.out_dir
    out.mkdir(parents=True, exist_ok=True)
    # never assemble from damaged media: every stored clip and line must match its hash
    for rep in result.shots:
        if rep.outcome is not None:
            _stored(rep.outcome.clip, rep.outcome.clip_media, f"shot {rep.id}")
        for s in rep.speech:
            _stored(s.wav, s.media, f"shot {rep.id} speech")
    name = slug(plan.title)
    width, height = frame_size(plan.aspect_ratio, plan.resolution)
    shots = []
    clips: list[tuple[Any, Path]] = []
    for rep in result.shots:
        sp = rep.plan
        if rep.outcome is not None:
            clip = rep.outcome.clip
        else:  # --allow-gaps: a visible card where the shot should be
            clip = workdir / f"slate-{slug(rep.id)}.mp4"
            reason = rep.failure.reason if rep.failure else "missing"
            slate_clip(f"MISSING SHOT {rep.id}\n{reason[:120]}", clip,
                       duration_s=float(sp.duration_s), width=width, height=height, fps=plan.fps)
        clips.append((rep, clip))
        shots.append(AssemblyShot(
            clip=clip,
            speech=tuple(SpeechPlacement(wav=s.wav, start_s=t)
                         for s, t in zip(rep.speech, rep.placements, strict=True)),
            keep_clip_audio=bool(sp.keep_clip_audio),
            transition=_media_transition(sp.transition) if shots else "cut",
            transition_s=float(sp.transition_s or 0.0), label=rep.id,
        ))
    starts = _starts(result.shots, clips)
    words = [
        WordTiming(word=w.word, start_s=round(start + t + w.start_s, 3),
                   end_s=round(start + t + w.end_s, 3))
        for (rep, _clip), start in zip(clips, starts, strict=True)
        for s, t in zip(rep.speech, rep.placements, strict=True)
        for w in s.words
    ]
    cues = cues_from_words(words) if words else []
    media = settings.get("media") or {}
    film = out / f"{name}.mp4"
    assembly = AssemblySettings(
        width=width, height=height, fps=plan.fps, codec=media.get("codec", "libx264"),
        crf=int(media.get("crf", 20)), preset=media.get("preset", "veryfast"), subtitles=cues,
    )
    starts = _assemble_unless_done(shots, film, assembly, workdir.parent, starts, assemble)
    files: dict[str, Path] = {"film": film}
    if cues:
        files["srt"] = write_srt(cues, out / f"{name}.srt")
        files["vtt"] = write_vtt(cues, out / f"{name}.vtt")
    # editor's media: the shots and the speech, copies (or reflinks) of the store's files
    for rep, clip in clips:
        _deliver(clip, out / "clips" / f"{slug(rep.id)}.mp4",
                 rep.outcome.clip_media if rep.outcome is not None else None, f"shot {rep.id}")
        for i, s in enumerate(rep.speech, 1):
            _deliver(s.wav, out / "audio" / f"{slug(rep.id)}-{i}.wav", s.media,
                     f"shot {rep.id} speech")
    # the faces each identity score used, next to the heatmap in the report
    for rep, _clip in clips:
        for cid, crop in (getattr(rep.outcome, "crops", None) or {}).items():
            try:
                _deliver(crop, out / crop_file(rep.id, cid), None, f"shot {rep.id} face crops")
            except OSError:  # a debug image: reported missing, never fatal
                import structlog

                structlog.get_logger(__name__).warning("face_crops.failed", shot=rep.id,
                                                       character=cid, exc_info=True)
    sheet_items = [(rep.outcome.anchor if rep.outcome and rep.outcome.anchor else clip, rep.id)
                   for rep, clip in clips]
    try:
        files["contact_sheet"] = contact_sheet(sheet_items, out / "contact-sheet.png")
    except Exception:  # noqa: BLE001 - the film is done; a missing sheet is reported, not fatal
        import structlog

        structlog.get_logger(__name__).warning("contact_sheet.failed", exc_info=True)
    shots_placed = tuple(
        attrs.evolve(rep, start_s=round(float(st), 3))
        for rep, st in zip(result.shots, starts, strict=True)
    )
    result = attrs.evolve(result, shots=shots_placed, film=film)
    files["timeline"] = write_timeline(result, out / f"{name}.otio")
    result = attrs.evolve(result, files={**files, "manifest": out / "manifest.json",
                                         "report": out / "report.html"},
                          wall_s=result.wall_s + time.monotonic() - entered,
                          phases_s={**result.phases_s,
                                    "assemble": round(time.monotonic() - entered, 3)})
    write_manifest(result, out / "manifest.json")
    write_report(result, out / "report.html")
    return result


def _assemble_unless_done(shots: list[Any], film: Path, assembly: Any, state: Path,
                          starts: list[float], assemble: Any) -> list[float]:
    """Assemble ``film`` unless the same inputs (content-addressed clips and speech, every
    assembly setting, the subtitles) already produced the file that is there; returns the
    shots' start times. The record lives in the project's state folder."""
    import hashlib
    import json

    from ministudio.converter import unstructure

    key = hashlib.sha256(json.dumps(unstructure({"shots": shots, "settings": assembly}),
                                    sort_keys=True, default=str).encode()).hexdigest()
    record_path = state / "assembled.json"
    try:
        records = json.loads(record_path.read_text())
    except (OSError, ValueError):
        records = {}
    from ministudio.engine.store import content_digest

    done = records.get(str(film.resolve()))
    if (done and done.get("key") == key and film.is_file()
            and film.stat().st_size == done.get("size") and len(done["starts"]) == len(shots)
            and content_digest(film) == done.get("sha256")):  # by content, not only size
        return [float(x) for x in done["starts"]]
    assembled = assemble(shots, film, assembly)
    if len(assembled.shots) == len(starts):
        starts = [p.start_s for p in assembled.shots]
    records[str(film.resolve())] = {"key": key, "size": film.stat().st_size,
                                    "sha256": content_digest(film), "starts": starts}
    from ministudio.media import atomic_output

    with atomic_output(record_path) as tmp:
        tmp.write_text(json.dumps(records, indent=1))
    return starts


def _transition(value: Any) -> str:
    return str(getattr(value, "value", value) or "cut")


def _media_transition(value: Any) -> str:
    """The film's cut/fade/dissolve as the assembler's cut/fade (through black)/crossfade."""
    t = _transition(value)
    return t if t in ("cut", "fade") else "crossfade"


def _starts(reports: Any, clips: list[tuple[Any, Path]]) -> list[float]:
    starts, t = [], 0.0
    for i, (rep, _clip) in enumerate(clips):
        sp = rep.plan
        overlap = (float(sp.transition_s or 0.0)
                   if i and _media_transition(sp.transition) != "cut" else 0.0)
        t = max(0.0, t - overlap)
        starts.append(round(t, 3))
        dur = rep.outcome.duration_s if rep.outcome is not None else float(sp.duration_s)
        t += dur
    return starts


# -- manifest ----------------------------------------------------------------------------------


def crop_file(shot: str, character: str) -> str:
    """Where a shot's face crops for a character are delivered, relative to the out folder."""
    return f"identity/{slug(shot)}-{slug(character)}.png"


def _identity(rep: Any, out_dir: Path) -> dict[str, Any]:
    """A shot's identity scores for the manifest: the store's name of the crop image is
    replaced by the delivered file (``crop``, relative to the out folder; None if none)."""
    oc = rep.outcome
    if oc is None:
        return {}
    crops = getattr(oc, "crops", None) or {}
    out = {}
    for cid, sc in oc.scores.items():
        entry = {k: v for k, v in sc.items() if k != "crop_media"}
        rel = crop_file(rep.id, cid)
        entry["crop"] = rel if cid in crops and (out_dir / rel).is_file() else None
        out[cid] = entry
    return out


def _dec(v: Any) -> str | None:
    return None if v is None else str(Decimal(str(v)))


def build_manifest(result: Any) -> dict[str, Any]:
    plan = result.plan
    attempts_by_shot: dict[str, list[dict[str, Any]]] = {}
    for a in result.attempts:
        attempts_by_shot.setdefault(a["shot_id"], []).append({
            "id": a["id"], "stage": a["stage"], "provider": a["provider"], "model": a["model"],
            "seed": a["seed"], "job_id": a["job_id"], "resumed_job": a["resumed_job"],
            "status": a["status"], "cost": a["cost"],
            "started_at": _iso(a["started_at"]), "finished_at": _iso(a["finished_at"]),
            "seconds": None if not a["finished_at"] else round(a["finished_at"] - a["started_at"], 3),
            "scores": a["scores"], "error_type": a["error_type"], "error": a["error"],
        })
    shots = []
    for rep in result.shots:
        sp, oc = rep.plan, rep.outcome
        req = oc.request if oc is not None else sp.request
        shots.append({
            "id": rep.id, "scene": sp.scene_id, "shot": sp.shot_id,
            "segment": getattr(sp, "segment", 1), "segments": getattr(sp, "segments", 1),
            "status": rep.status, "start_s": rep.start_s, "duration_s": rep.duration_s,
            "duration_source": getattr(sp, "duration_source", None),
            "continues_from": sp.continues_from, "transition": _transition(sp.transition),
            "provider": req.provider, "model": req.model, "seed": oc.seed if oc else req.seed,
            "prompt": req.prompt, "negative_prompt": req.negative_prompt,
            "reference_images": [str(r.path) for r in req.reference_images],
            "cache_key": oc.cache_key if oc else None, "cached": bool(oc and oc.cached),
            "clip": f"clips/{slug(rep.id)}.mp4" if oc else None,
            "clip_sha256": oc.clip_media.split("/")[-1].split(".")[0] if oc else None,
            "estimated_cost": _dec(getattr(sp, "estimated_cost", None)),
            "cost": _dec(oc.cost) if oc else None, "variants": oc.variants if oc else 0,
            "take": {"attempt": getattr(oc, "take", None),
                     "picked": bool(getattr(oc, "picked", False))} if oc else None,
            "identity": _identity(rep, result.out_dir), "note": oc.note if oc else "",
            "failure": attrs.asdict(rep.failure) if rep.failure else None,
            "speech": [{"kind": s.kind, "speaker": s.speaker, "text": s.text,
                        "provider": s.provider, "voice": s.voice, "start_s": t,
                        "duration_s": s.duration_s, "cached": s.cached, "cost": _dec(s.cost)}
                       for s, t in zip(rep.speech, rep.placements, strict=True)],
            "attempts": attempts_by_shot.get(rep.id, []),
        })
    return {
        "manifest_version": MANIFEST_VERSION,
        "title": plan.title,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": result.status,
        "production_id": result.production_id,
        "format": {"aspect_ratio": plan.aspect_ratio, "resolution": plan.resolution,
                   "fps": plan.fps},
        "files": {k: os.path.relpath(v, result.out_dir) for k, v in result.files.items()},
        "cost": {"estimated": _dec(result.estimated_cost), "actual": _dec(result.actual_cost),
                 "currency": result.currency},
        "provider_calls": result.provider_calls,
        "wall_s": round(result.wall_s, 3),
        "phases_s": dict(getattr(result, "phases_s", {}) or {}),
        "failures": [attrs.asdict(f) for f in result.failures],
        "warnings": list(getattr(plan, "warnings", ()) or ()),
        "shots": shots,
    }


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


def write_manifest(result: Any, path: Path) -> Path:
    from ministudio.media.atomic import write_text_atomic

    write_text_atomic(path, json.dumps(build_manifest(result), indent=2, default=_default))
    return path


def _default(value: Any) -> Any:
    try:
        return unstructure(value)
    except Exception:  # noqa: BLE001
        return str(value)


# -- timeline ----------------------------------------------------------------------------------


def write_timeline(result: Any, path: Path) -> Path:
    """An OpenTimelineIO timeline: V1 the shots, A1 the speech lines at their film times."""
    import opentimelineio as otio

    from ministudio.media.atomic import atomic_output

    fps = float(result.plan.fps)
    rt = otio.opentime.RationalTime

    def rng(start: float, dur: float) -> Any:
        return otio.opentime.TimeRange(rt(round(start * fps), fps), rt(round(dur * fps), fps))

    tl = otio.schema.Timeline(name=result.plan.title)
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    audio = otio.schema.Track(name="A1 speech", kind=otio.schema.TrackKind.Audio)
    t_audio = 0.0
    for rep in result.shots:
        clip_rel = f"clips/{slug(rep.id)}.mp4"
        video.append(otio.schema.Clip(
            name=rep.id,
            media_reference=otio.schema.ExternalReference(target_url=clip_rel),
            source_range=rng(0.0, rep.duration_s),
            metadata={"ministudio": {"status": rep.status, "prompt": rep.plan.request.prompt}},
        ))
        for i, (s, t) in enumerate(zip(rep.speech, rep.placements, strict=True), 1):
            at = rep.start_s + t
            if at > t_audio:
                audio.append(otio.schema.Gap(source_range=rng(0.0, at - t_audio)))
                t_audio = at
            audio.append(otio.schema.Clip(
                name=f"{rep.id} {s.kind} {s.speaker or ''}".strip(),
                media_reference=otio.schema.ExternalReference(
                    target_url=f"audio/{slug(rep.id)}-{i}.wav"),
                source_range=rng(0.0, s.duration_s),
                metadata={"ministudio": {"text": s.text}},
            ))
            t_audio += round(s.duration_s * fps) / fps
    tl.tracks.append(video)
    tl.tracks.append(audio)
    with atomic_output(path) as tmp:
        otio.adapters.write_to_file(tl, str(tmp), adapter_name="otio_json")
    return path


def write_report(result: Any, path: Path) -> Path:
    from ministudio.engine.report import render_html
    from ministudio.media.atomic import write_text_atomic

    write_text_atomic(path, render_html(build_manifest(result), result))
    return path

