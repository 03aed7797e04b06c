from __future__ import annotations

import asyncio
from pathlib import Path

import attrs
import av
import numpy as np
import pytest
from ministudio import ClipRequest, ReferenceImage, ReferenceRole
from ministudio.dispatch import Dispatcher, RetryPolicy
from ministudio.errors import MediaError
from ministudio.plugins import PluginManager
from ministudio.testing.conformance import ClipProviderConformance
from ministudio_local import plugin
from ministudio_local.animatic.camera import camera_move
from ministudio_local.animatic.plan import plan_shot
from ministudio_local.animatic.render import Board, render_animatic
from PIL import Image


class TestAnimaticConformance(ClipProviderConformance):
    plugin = plugin
    provider = "animatic"
    transport_kind = None


def _request(photos: dict[str, Path], **kw: object) -> ClipRequest:
    base = dict(
        provider="animatic", model="animatic-v1", prompt="Two engineers argue over the launch",
        duration_s=1.0, resolution="360p", seed=3, shot_id="2",
        reference_images=[ReferenceImage(path=photos["astronaut"], label="eileen"),
                          ReferenceImage(path=photos["hopper"], label="grace")],
        direction={
            "shot_type": "medium", "camera": {"movement": "slow push in", "lens": "35mm"},
            "action": "Eileen points at the clock; Grace shakes her head.",
            "characters": [{"id": "eileen", "name": "Eileen"}, {"id": "grace", "name": "Grace"}],
            "environment": {"description": "INT. MISSION CONTROL", "lighting": "night",
                            "palette": ["#102040", "#202020"]},
            "dialogue": [{"speaker": "Eileen", "line": "We are go."}],
        },
    )
    base.update(kw)
    return ClipRequest(**base)  # type: ignore[arg-type]


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def test_renders_h264_with_requested_format(photos: dict[str, Path], tmp_path: Path) -> None:
    req = _request(photos, aspect_ratio="9:16", fps=25, duration_s=1.2)
    stats = render_animatic(req, tmp_path / "a.mp4")
    with av.open(str(tmp_path / "a.mp4")) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264"
        assert (s.codec_context.width, s.codec_context.height) == (360, 640)
        assert s.average_rate == 25
        assert sum(1 for _ in c.decode(video=0)) == 30 == stats.frames


def test_deterministic_for_a_seed_and_varies_with_it(photos: dict[str, Path], tmp_path: Path) -> None:
    req = _request(photos, direction={"shot_type": "wide", "camera": "handheld"},
                   reference_images=[])
    render_animatic(req, tmp_path / "a.mp4")
    render_animatic(req, tmp_path / "b.mp4")
    render_animatic(attrs.evolve(req, seed=4), tmp_path / "c.mp4")
    a, b, c = (_frames(tmp_path / n) for n in ("a.mp4", "b.mp4", "c.mp4"))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[5], c[5])


def _coverage(photos: dict[str, Path], shot_type: str, n: int = 1) -> tuple[float, float]:
    """Fraction of the frame covered by character cards, and their centroid x (0..1)."""
    names = ["grace", "eileen"][:n]
    refs = [ReferenceImage(path=photos["hopper"], label="grace"),
            ReferenceImage(path=photos["astronaut"], label="eileen")][:n]
    direction = {"characters": names, "shot_type": shot_type}
    req = _request(photos, reference_images=refs, direction=direction)
    empty = attrs.evolve(req, reference_images=[], direction={"shot_type": shot_type})
    a = np.asarray(Board(plan_shot(req), camera_move("static")).frame(0), dtype=np.int16)
    b = np.asarray(Board(plan_shot(empty), camera_move("static")).frame(0), dtype=np.int16)
    changed = np.abs(a - b).max(axis=2) > 40
    ys, xs = np.nonzero(changed)
    return float(changed.mean()), float(xs.mean() / a.shape[1])


def test_portraits_are_placed_and_scaled_by_shot_type(photos: dict[str, Path]) -> None:
    wide, _ = _coverage(photos, "wide")
    medium, _ = _coverage(photos, "medium")
    close, cx = _coverage(photos, "close-up")
    assert 0.03 < wide < medium < close
    assert close > 2.5 * wide
    assert abs(cx - 0.5) < 0.08  # a single close-up is centred
    two, cx2 = _coverage(photos, "two-shot", n=2)
    assert abs(cx2 - 0.5) < 0.1 and two > medium  # two cards, balanced on the thirds


def test_environment_image_is_the_backdrop(photos: dict[str, Path]) -> None:
    env = ReferenceImage(path=photos["coffee"], role=ReferenceRole.ENVIRONMENT)
    req = _request(photos, reference_images=[env], direction={"shot_type": "wide"})
    frame = np.asarray(Board(plan_shot(req), camera_move("static")).frame(0), dtype=np.float32)
    coffee = np.asarray(Image.open(photos["coffee"]).convert("RGB").resize(
        (frame.shape[1], frame.shape[0])), dtype=np.float32)
    mid = slice(frame.shape[0] // 4, 3 * frame.shape[0] // 4)
    # the plate is the coffee photo (muted and vignetted), not a painted set
    corr = np.corrcoef(frame[mid].ravel(), coffee[mid].ravel())[0, 1]
    assert corr > 0.8


@pytest.mark.parametrize("movement,expect", [
    ("push in", "push-in"), ("Dolly out to reveal", "pull-out"), ("pan left", "pan-left"),
    ("slow orbit right", "orbit-right"), ("tilt up", "tilt-up"), ("handheld", "handheld"),
    ("", "static"), ("crane down", "crane-down"), ("truck right", "truck-right"),
])
def test_camera_moves_are_recognised(movement: str, expect: str) -> None:
    assert camera_move(movement).name == expect


def test_camera_moves_change_the_picture(photos: dict[str, Path]) -> None:
    for movement in ("push in", "pan right", "orbit", "tilt up"):
        req = _request(photos, direction={"shot_type": "medium", "camera": movement,
                                          "characters": ["eileen", "grace"]})
        plan = plan_shot(req)
        board = Board(plan, camera_move(movement, seed=plan.seed))
        first = np.asarray(board.frame(0), dtype=np.int16)
        last = np.asarray(board.frame(plan.frames - 1), dtype=np.int16)
        body = slice(plan.height // 8, plan.height * 3 // 4)  # away from slate and caption
        assert np.abs(first[body] - last[body]).mean() > 4, movement
    static = Board(plan_shot(_request(photos, direction={"camera": "static"})), camera_move("static"))
    a, b = np.asarray(static.frame(0)), np.asarray(static.frame(20))
    body = slice(static.plan.height // 8, static.plan.height * 3 // 4)
    assert np.array_equal(a[body], b[body])


def test_a_cut_is_a_cut_the_previous_frame_is_not_blended_in(photos: dict[str, Path],
                                                              tmp_path: Path) -> None:
    red = tmp_path / "prev.png"
    Image.new("RGB", (640, 360), (220, 30, 30)).save(red)
    req = _request(photos, first_frame=red, duration_s=2.0)
    with_frame = Board(plan_shot(req), camera_move("static"))
    without = Board(plan_shot(attrs.evolve(req, first_frame=None)), camera_move("static"))
    for i in (0, 5, 12):
        assert np.array_equal(np.asarray(with_frame.frame(i)), np.asarray(without.frame(i)))


def _graphics(board: Board, i: int) -> float:
    """How much the frame differs from its bare picture (slate, captions, timecode)."""
    u = board.camera_u(i)
    a = np.asarray(board.frame(i), dtype=np.int16)
    b = np.asarray(board.picture(u), dtype=np.int16)
    return float(np.abs(a - b).mean())


def test_graphics_stay_out_of_a_dissolve(photos: dict[str, Path]) -> None:
    """Inside the transition windows the frame is the bare picture, so the editor's dissolve
    blends pictures, not two slates, timecodes and captions."""
    direction = {**_request(photos).direction,
                 "transition_in": {"type": "dissolve", "seconds": 0.5},
                 "transition_out": {"type": "fade", "seconds": 0.25}}
    req = _request(photos, duration_s=3.0, fps=24, direction=direction)
    board = Board(plan_shot(req), camera_move("slow push in"))
    n = board.plan.frames
    assert (board.clean_in, board.clean_out) == (12, 6)
    for i in (0, 6, 11, n - 6, n - 1):
        assert _graphics(board, i) == 0.0, i
    for i in (20, 40, n - 13):
        assert _graphics(board, i) > 2.0, i
    assert 0.0 < _graphics(board, 13) < _graphics(board, 20)  # graphics fade in after it
    cut = Board(plan_shot(_request(photos, duration_s=3.0)), camera_move("slow push in"))
    assert _graphics(cut, 0) > 2.0 and _graphics(cut, n - 1) > 2.0  # a cut keeps them


def test_title_card_only_on_the_opening_clip(photos: dict[str, Path]) -> None:
    base = {"shot_type": "wide", "title": "The Umbrella"}

    def top(direction: dict) -> np.ndarray:
        req = _request(photos, reference_images=[], direction=direction, duration_s=3.0)
        board = Board(plan_shot(req), camera_move("static"))
        h = board.plan.height
        return np.asarray(board.frame(10), dtype=np.int16)[h // 6: h // 2]

    opening = top({**base, "opening": True})
    later = top({**base, "opening": False})
    bare = top({"shot_type": "wide"})
    assert np.abs(opening - bare).mean() > 3  # the card is there
    assert np.array_equal(later, bare)  # and nowhere else


def test_every_camera_movement_of_the_shipped_presets_is_a_move() -> None:
    from ministudio.film.presets import CINEMATOGRAPHY_PRESETS

    for name, preset in CINEMATOGRAPHY_PRESETS.items():
        move = camera_move(preset.movement).name
        assert (move == "static") == (preset.movement == "static"), (name, preset.movement, move)
    assert camera_move("slow aerial drift").name.startswith("truck")
    assert camera_move("fast tracking alongside the subject").name.startswith("truck")
    assert camera_move("handheld, subtle sway").name == "handheld"
    assert camera_move("tracking in").name == "push-in"


def _umbrella_shot(photos: dict[str, Path], **direction: object) -> ClipRequest:
    base = {
        "shot_type": "over-the-shoulder",
        "action": "Theo tilts his umbrella towards Mira while the rain hammers the glass roof "
                  "of the bus stop and the forty-two finally turns the corner.",
        "characters": [{"id": "mira", "name": "Mira"}, {"id": "theo", "name": "Theo"}],
        "dialogue": [{"speaker": "Theo", "line": "The forty-two is always late on rainy days."},
                     {"speaker": "Mira", "line": "Then I'm going to need that umbrella."}],
        "narration": "Some friendships start with a bus that never comes and an umbrella "
                     "that is just big enough for two people who have never met.",
    }
    refs = [ReferenceImage(path=photos["astronaut"], label="mira"),
            ReferenceImage(path=photos["hopper"], label="theo")]
    return _request(photos, aspect_ratio="9:16", resolution="720p", reference_images=refs,
                    direction={**base, **direction})


def test_portrait_captions_and_dialogue_are_whole(photos: dict[str, Path]) -> None:
    from ministudio_local.animatic.caption import band_lines, dialogue_rows

    plan = plan_shot(_umbrella_shot(photos))
    assert (plan.width, plan.height) == (720, 1280)
    f, lines = band_lines(plan)
    text = " ".join(t for t, _ in lines)
    assert "…" not in text and text.endswith("two people who have never met.")
    assert f.size >= 16 and all(f.getlength(t) <= plan.width * 0.9 for t, _ in lines)
    for speaker, line in plan.dialogue:
        f, rows = dialogue_rows(plan, f"{speaker.upper()}: “{line}”")
        assert "…" not in " ".join(rows) and f.size >= 20


def test_over_the_shoulder_keeps_the_speaker_in_frame(photos: dict[str, Path]) -> None:
    from ministudio_local.animatic.compose import build_cards

    plan = plan_shot(_umbrella_shot(photos))
    cards = build_cards(plan, 1.0)
    speaker, shoulder = cards  # the foreground shoulder is drawn last
    assert speaker.name == "Theo" and shoulder.name == "Mira"  # looking past the listener
    w = speaker.sprite.size[0]
    assert speaker.cx - w / 2 >= 0 and speaker.cx + w / 2 <= plan.width
    # the shoulder covers no more than the outer quarter of the speaker's card
    sw = shoulder.sprite.size[0]
    assert shoulder.cx + sw / 2 <= speaker.cx - w / 4 + 1


def test_empty_direction_captions_the_prompt(photos: dict[str, Path]) -> None:
    req = ClipRequest(provider="animatic", model="animatic-v1", prompt="A kite over hills",
                      duration_s=1.0, resolution="360p")
    plan = plan_shot(req)
    assert plan.action == "A kite over hills" and plan.shot_type == "medium"
    assert plan.characters == () and plan.movement == "static"
    frame = np.asarray(Board(plan, camera_move(plan.movement)).frame(0))
    assert frame.std() > 10  # a painted set, not a flat colour


def test_bad_reference_is_a_clear_error(photos: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image")
    req = _request(photos, reference_images=[ReferenceImage(path=bad, label="x")])
    with pytest.raises(MediaError, match="character portrait"):
        render_animatic(req, tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()


def test_through_the_dispatcher(photos: dict[str, Path], tmp_path: Path) -> None:
    pm = PluginManager(load_entrypoints=False, env={})
    pm.register(plugin, name="local")
    d = Dispatcher(pm, retry=RetryPolicy(attempts=1))
    result = asyncio.run(d.generate_clip(_request(photos), workdir=tmp_path))
    assert result.path.is_file() and result.cost == 0 and result.seed == 3
    assert result.metadata["camera_move"] == "push-in"
    assert result.metadata["characters"] == ["Eileen", "Grace"]
    assert (result.width, result.height) == (640, 360)


def test_text_the_bundled_font_cannot_draw_is_spelled_out():
    from ministudio_local.animatic.caption import displayable

    assert displayable("café — Straße, naïve") == "cafe - Strasse, naive"
    assert displayable("plain ascii") == "plain ascii"
    assert "?" in displayable("中")  # nothing drawable: a visible placeholder, not a box


def test_cards_carry_the_shots_wardrobe_and_condition():
    from ministudio import ClipRequest
    from ministudio_local.animatic.plan import plan_shot

    request = ClipRequest(
        provider="animatic", model="animatic-v1", prompt="x", duration_s=1.0,
        direction={"characters": [{"id": "mira", "name": "Mira",
                                   "wardrobe": "grey knit sweater", "condition": "soaked"}]},
    )
    (card,) = plan_shot(request).characters
    assert card.note == "grey knit sweater; soaked"
