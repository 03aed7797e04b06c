"""Several people per frame and honest scores: faces are assigned to a shot's characters
jointly, the box used is reported, a frame without the character's face is no match, and a
look score never passes (``score-identity --strict`` fails on it)."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import numpy as np
import pytest
from PIL import Image, ImageOps

pytest.importorskip("dlib")
pytest.importorskip("scipy")

from ministudio import IdentityRequest  # noqa: E402
from ministudio.plugins import PluginManager  # noqa: E402
from ministudio_local import plugin  # noqa: E402
from ministudio_local.face.assign import assign, similarities  # noqa: E402
from ministudio_local.face.embed import FaceEmbedder, plausible  # noqa: E402
from ministudio_local.face.score import THRESHOLD, _pick, score_faces  # noqa: E402


def _two_person(tmp: Path, left: Path, right: Path) -> Path:
    """A 1280x720 still: `left` in the left half, `right` in the right half."""
    frame = Image.new("RGB", (1280, 720), (88, 96, 104))
    for k, p in enumerate((left, right)):
        im = ImageOps.contain(Image.open(p).convert("RGB"), (560, 600))
        frame.paste(im, (k * 640 + (640 - im.width) // 2, 60))
    out = tmp / f"two-{left.stem}-{right.stem}.png"
    frame.save(out)
    return out


def _centre_x(box: tuple[int, ...]) -> float:
    return (box[0] + box[2]) / 2


def test_each_character_is_scored_against_its_own_face_and_its_box_reported(
        photos: dict[str, Path], tmp_path: Path) -> None:
    frame = _two_person(tmp_path, photos["astronaut"], photos["hopper"])
    cast = {"eileen": photos["astronaut"], "grace": photos["hopper"]}
    got = {}
    for who, ref in cast.items():
        r = score_faces(IdentityRequest(
            media=frame, references=(ref,), character=who,
            others=[(o, (p,)) for o, p in cast.items() if o != who]))
        assert r is not None and r.kind == "face" and r.identity_passed is True, r
        assert len(r.boxes) == 1 and "assigned jointly" in r.note
        got[who] = r.boxes[0]
    assert _centre_x(got["eileen"]) < 640 < _centre_x(got["grace"])


def test_a_wrong_face_that_would_pass_goes_to_its_owner(photos: dict[str, Path]) -> None:
    """Emma's reference (a blend leaning towards David) matches David's face best, so the
    best-face rule scores Emma on David's face and passes her. Assigned jointly, David takes
    his own face and Emma is scored on the other one."""
    emb = FaceEmbedder.shared()
    frame = Image.new("RGB", (1280, 720), (88, 96, 104))
    for k, p in enumerate((photos["astronaut"], photos["hopper"])):
        im = ImageOps.contain(Image.open(p).convert("RGB"), (560, 600))
        frame.paste(im, (k * 640 + 40, 60))
    faces = emb.faces(frame, max_side=1280, upsample=0)
    faces = sorted(faces, key=lambda f: f.box[0])[:2]
    assert len(faces) == 2
    left, right = faces  # astronaut, hopper
    david = right.descriptor[None, :]
    emma = (0.6 * right.descriptor + 0.4 * left.descriptor)[None, :]
    sim = similarities(faces, [emma, david])
    assert sim[0].argmax() == 1 and sim[0, 1] > THRESHOLD  # best face: Emma "passes" on David
    assert assign(sim) == {0: 0, 1: 1}
    pick = _pick(faces, [("emma", emma), ("david", david)])
    assert pick.box == left.box and pick.similarity == pytest.approx(sim[0, 0])
    # alone (no others), the best face is taken, as before
    assert _pick(faces, [("emma", emma)]).box == right.box


def test_a_frame_whose_only_face_is_someone_elses_is_no_match(
        photos: dict[str, Path], tmp_path: Path) -> None:
    only_grace = _two_person(tmp_path, photos["coffee"], photos["hopper"])
    r = score_faces(IdentityRequest(
        media=only_grace, references=(photos["astronaut"],), character="eileen",
        others=[("grace", (photos["hopper"],))]))
    assert r is not None and r.kind == "look" and r.identity_passed is None
    assert r.faces_found == 0 and "assigned to grace" in r.note and "not a face match" in r.note


def test_no_face_is_never_a_pass_and_strict_fails(photos: dict[str, Path], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner
    from ministudio.cli import AppState, cli

    r = score_faces(IdentityRequest(media=photos["coffee"], references=(photos["hopper"],)))
    assert r is not None and r.kind == "look" and r.identity_passed is None
    pm = PluginManager(load_entrypoints=False, env={})
    pm.register(plugin, name="local")
    monkeypatch.setattr(AppState, "manager", lambda self, project_dir=None: pm)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    res = runner.invoke(cli, ["score-identity", "-r", str(photos["hopper"]),
                              str(photos["coffee"]), "--json"])
    assert res.exit_code == 0, res.output
    row = json.loads(res.output)[0]
    assert row["passed"] is None and row["kind"] == "look" and row["boxes"] == []
    # even with a look threshold every image clears, --strict does not count it as a match
    res = runner.invoke(cli, ["--set", "providers.face.look_threshold=0.0",
                              "score-identity", "-r", str(photos["hopper"]),
                              str(photos["hopper"]), str(photos["coffee"]), "--strict"])
    assert res.exit_code == 1, res.output
    assert "n/a" in res.output and "match" in res.output
    res = runner.invoke(cli, ["score-identity", "-r", str(photos["hopper"]),
                              str(photos["hopper"]), "--strict", "--json"])
    assert res.exit_code == 0 and json.loads(res.output)[0]["boxes"]


def test_landmark_check_rejects_layouts_that_are_not_faces(photos: dict[str, Path]) -> None:
    emb = FaceEmbedder.shared()
    real = emb.faces(Image.open(photos["hopper"]), check=False)[0]
    arr = np.asarray(Image.open(photos["hopper"]).convert("RGB"))
    import dlib

    x0, t, x1, b = real.box
    shape = emb._landmarks(arr, dlib.rectangle(x0, t, x1, b))
    pts = [(p.x, p.y) for p in shape.parts()]
    width = x1 - x0
    assert plausible(pts, width)
    flipped = [(x, 2 * t + (b - t) - y) for x, y in pts]  # nose above the eyes
    assert not plausible(flipped, width)
    squeezed = [(x0 + width / 2 + (x - x0 - width / 2) * 0.2, y) for x, y in pts]  # eyes 1/5 apart
    assert not plausible(squeezed, width)
    rotated = [(pts[4][0] + (y - pts[4][1]), pts[4][1] - (x - pts[4][0])) for x, y in pts]
    assert not plausible(rotated, width)  # rolled 90 degrees
    assert not plausible([(10, 10)] * 5, width)


def test_calibrate_chooses_a_threshold_from_a_reference_folder(
        photos: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner
    from ministudio.cli import AppState, cli
    from ministudio.errors import MediaError

    refs = tmp_path / "refs"
    for who in ("astronaut", "hopper"):
        (refs / who).mkdir(parents=True)
        im = Image.open(photos[who]).convert("RGB")
        im.save(refs / who / "a.png")
        ImageOps.mirror(im).save(refs / who / "b.png")
    pm = PluginManager(load_entrypoints=False, env={})
    pm.register(plugin, name="local")
    monkeypatch.setattr(AppState, "manager", lambda self, project_dir=None: pm)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    res = runner.invoke(cli, ["score-identity", "--calibrate", str(refs), "--json"])
    assert res.exit_code == 0, res.output
    cal = json.loads(res.output)
    assert cal["same"] == 4 and cal["different"] == 4 and cal["auc"] == 1.0
    assert cal["far"] == 0.0 and cal["frr"] == 0.0 and 0.3 < cal["threshold"] < 0.9
    (refs / "hopper" / "b.png").unlink()
    (refs / "astronaut" / "b.png").unlink()
    res = runner.invoke(cli, ["score-identity", "--calibrate", str(refs)], standalone_mode=False)
    assert isinstance(res.exception, MediaError) and "two images" in str(res.exception)


def test_a_later_pass_does_not_describe_a_face_found_already(photos: dict[str, Path],
                                                             tmp_path: Path) -> None:
    emb = FaceEmbedder.shared()
    frame = Image.open(_two_person(tmp_path, photos["astronaut"], photos["hopper"]))
    first = emb.faces(frame, max_side=1280, upsample=0)
    assert len(first) >= 2
    # the same pass again finds them all; none is described twice
    assert emb.faces(frame, max_side=1280, upsample=0, known=[f.box for f in first]) == []
    # a box known from another scale (slightly shifted) still counts as the same face
    shifted = [(b[0] + 2, b[1] + 2, b[2] + 2, b[3] + 2) for b in (f.box for f in first[:-1])]
    again = emb.faces(frame, max_side=1280, upsample=0, known=shifted)
    assert [f.box for f in again] == [first[-1].box]


def test_the_crops_image_shows_the_face_each_character_was_scored_on(
        photos: dict[str, Path], tmp_path: Path) -> None:
    frame_path = _two_person(tmp_path, photos["astronaut"], photos["hopper"])
    frame = Image.open(frame_path).convert("RGB")
    cast = {"eileen": photos["astronaut"], "grace": photos["hopper"]}
    boxes, sheets = {}, {}
    for who, ref in cast.items():
        request = IdentityRequest(media=frame_path, references=(ref,), character=who, crops=True,
                                  others=[(o, (p,)) for o, p in cast.items() if o != who])
        # not asked for: nothing written
        assert score_faces(attrs.evolve(request, crops=False), crops_dir=tmp_path / "no").crops is None
        assert not (tmp_path / "no").exists()
        r = score_faces(request, crops_dir=tmp_path / "crops")
        assert r is not None and r.crops is not None and r.crops.parent == tmp_path / "crops"
        boxes[who], sheets[who] = r.boxes[0], Image.open(r.crops).convert("RGB")

    def region(box: tuple[int, ...], size: tuple[int, int]) -> np.ndarray:
        pad = round(0.25 * max(box[2] - box[0], box[3] - box[1]))
        im = frame.crop((max(0, box[0] - pad), max(0, box[1] - pad),
                         min(frame.width, box[2] + pad), min(frame.height, box[3] + pad)))
        return np.asarray(im.resize(size), dtype=float)

    for who, other in (("eileen", "grace"), ("grace", "eileen")):
        sheet = sheets[who]
        tile = np.asarray(sheet.crop((8, 8, 8 + 128, sheet.height - 28)), dtype=float)
        size = (tile.shape[1], tile.shape[0])
        own, wrong = region(boxes[who], size), region(boxes[other], size)
        assert np.abs(tile - own).mean() < 0.5 * np.abs(tile - wrong).mean()
