from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from ministudio.capabilities import ClipModel, ReferenceRole
from ministudio.compile import plan_film, split_duration, world_states
from ministudio.film import load_film, validate_film

from .conftest import EXAMPLES, VEO_LIKE, make_manager

SNAPSHOTS = Path(__file__).parent / "snapshots"


def umbrella(film_dir: Path, provider: str | None = None):
    film = load_film(film_dir / "film.yaml")
    if provider:
        film = attrs.evolve(film, defaults=attrs.evolve(film.defaults, provider=provider))
    return film


def test_state_carries_changes_through_the_scene_only(film_dir):
    states = {s.key: s for s in world_states(umbrella(film_dir))}
    mira = lambda key: next(c for c in states[key].present if c.id == "mira")  # noqa: E731
    assert mira("rain.offer").condition is None
    assert mira("rain.soaked").condition == "soaked hair, dripping"
    # a new scene starts from the definitions, and applies its own change
    assert mira("later.dry").condition is None
    assert mira("later.dry").wardrobe == "oversized grey knit sweater"
    assert mira("later.closeup").wardrobe == "oversized grey knit sweater"  # carried forward
    assert mira("rain.arrive").wardrobe == "yellow raincoat over a navy top"


def test_cut_detection(film_dir):
    states = {s.key: s for s in world_states(umbrella(film_dir))}
    assert states["rain.arrive"].cut and states["rain.arrive"].reason == "first shot"
    assert not states["rain.offer"].cut
    assert states["later.dry"].cut and "environment changes (bus-stop -> cafe)" in states["later.dry"].reason
    assert not states["later.closeup"].cut


def test_only_present_characters_in_prompt_and_references(film_dir, manager, settings):
    plan = plan_film(umbrella(film_dir), manager, settings)
    arrive = next(s for s in plan.shots if s.id == "rain.arrive")
    assert [c.id for c in arrive.characters] == ["mira"]
    assert "Theo" not in arrive.request.prompt and "Mira" in arrive.request.prompt
    assert {r.label for r in arrive.request.reference_images} == {"mira", "bus-stop"}
    offer = next(s for s in plan.shots if s.id == "rain.offer")
    assert [c.id for c in offer.characters] == ["mira", "theo"]


def test_dialogue_in_its_own_shot(film_dir, manager, settings):
    plan = plan_film(umbrella(film_dir), manager, settings)
    by_id = {s.id: s for s in plan.shots}
    assert '"The forty-two is always late on rainy days."' in by_id["rain.offer"].request.prompt
    assert "forty-two" not in by_id["rain.soaked"].request.prompt
    assert [ln.speaker for ln in by_id["rain.offer"].speech] == ["theo", "mira"]
    # delivery is in the video prompt; the fake speech engine declares no instructions input
    assert "Theo says (dry, amused):" in by_id["rain.offer"].request.prompt
    assert by_id["rain.offer"].speech[0].request.instructions is None
    assert by_id["rain.offer"].speech[0].request.rate == 0.95


def test_seed_and_negative_prompt_forwarded(film_dir, settings):
    film = umbrella(film_dir, provider="veo")
    shots = list(film.scenes[0].shots)
    shots[0] = attrs.evolve(shots[0], seed=77, negative_prompt="umbrellas")
    film = attrs.evolve(film, scenes=(attrs.evolve(film.scenes[0], shots=tuple(shots)), *film.scenes[1:]))
    plan = plan_film(film, make_manager(veo=VEO_LIKE), settings)
    first = plan.shots[0].request
    assert first.seed == 77
    assert first.negative_prompt.endswith("extra people, extra fingers, umbrellas")
    # a model without a negative-prompt input gets it folded into the prompt
    no_neg = attrs.evolve(VEO_LIKE, negative_prompt=False, max_prompt_chars=None)
    plan = plan_film(film, make_manager(veo=no_neg), settings)
    assert plan.shots[0].request.negative_prompt is None
    assert "Avoid: " in plan.shots[0].request.prompt and "umbrellas" in plan.shots[0].request.prompt


def test_duration_snapping_and_splitting():
    assert split_duration(3.1, VEO_LIKE) == (4.0,)
    assert split_duration(6.0, VEO_LIKE) == (6.0,)
    assert split_duration(13, VEO_LIKE) == (8.0, 6.0)
    assert split_duration(17, VEO_LIKE) == (6.0, 6.0, 6.0)
    ranged = ClipModel(id="r", min_duration_s=2, max_duration_s=10)
    assert split_duration(1.0, ranged) == (2.0,)
    assert split_duration(25, ranged) == (8.33, 8.33, 8.33)


def test_long_shot_split_into_chained_segments(settings):
    film = load_film(EXAMPLES / "tides-explainer" / "film.yaml")
    film = attrs.evolve(film, defaults=attrs.evolve(film.defaults, provider="veo"))
    plan = plan_film(film, make_manager(veo=VEO_LIKE), settings)
    pull = [s for s in plan.shots if s.key == "moon.pull"]
    assert [s.id for s in pull] == ["moon.pull.1", "moon.pull.2"]
    assert sum(s.duration_s for s in pull) >= 13.4 and all(s.duration_s in (4, 6, 8) for s in pull)
    assert pull[0].continues_from is None and pull[1].continues_from == "moon.pull.1"
    assert pull[0].speech and not pull[1].speech
    # the chained segment starts from a frame; veo-like cannot combine it with references
    assert pull[1].request.reference_images == ()
    assert pull[1].transition == "cut"


def test_speech_durations_replace_estimates(settings, manager):
    film = load_film(EXAMPLES / "tides-explainer" / "film.yaml")
    plan = plan_film(film, manager, settings, speech_durations={"shore.intro": 9.0})
    intro = plan.shots[0]
    assert intro.duration_source == "speech" and intro.duration_s == pytest.approx(9.6)
    assert plan.shots[1].duration_source == "estimate"


def test_continuity_dependencies_and_cost(film_dir, settings):
    plan = plan_film(umbrella(film_dir, provider="veo"), make_manager(veo=VEO_LIKE), settings)
    deps = {s.id: s.continues_from for s in plan.shots}
    assert deps == {"rain.arrive": None, "rain.offer": "rain.arrive", "rain.soaked": "rain.offer",
                    "later.dry": None, "later.closeup": "later.dry"}
    assert plan.estimated_cost == sum(Decimal("0.40") * Decimal(str(s.duration_s)) for s in plan.shots)
    assert plan.currency == "USD"


def test_validate_reports_capability_problems(film_dir, settings):
    film = umbrella(film_dir, provider="veo")
    problems = validate_film(film, make_manager(veo=VEO_LIKE), settings)
    # rain.arrive asks for 4 s: allowed; only the unsupported reference role of the plate matters
    assert problems == [], problems
    shots = list(film.scenes[0].shots)
    shots[0] = attrs.evolve(shots[0], duration=5.0)
    film = attrs.evolve(film, scenes=(attrs.evolve(film.scenes[0], shots=tuple(shots)), *film.scenes[1:]))
    problems = validate_film(film, make_manager(veo=VEO_LIKE), settings)
    assert problems == ["film.yaml:48: scenes[0].shots[0].duration: veo/veo-like: duration 5s is not "
                        "one veo-like allows (allowed: 4, 6, 8 s); use one of them or 'auto'"]


def test_missing_provider_and_file_are_problems(film_dir, settings):
    (film_dir / "refs" / "theo.png").unlink()
    film = umbrella(film_dir, provider="nope")
    problems = validate_film(film, make_manager(), settings)
    assert problems[0] == "film.yaml:21: characters.theo.references[0]: file not found: refs/theo.png"
    assert "no provider named 'nope' is installed" in problems[1]
    assert len(problems) == 1 + 5


def _snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"prompt changed; rerun with UPDATE_SNAPSHOTS=1 if intended: {name}"


@pytest.mark.parametrize("example", ["tides-explainer", "umbrella-dialogue"])
@pytest.mark.parametrize("provider", ["animatic", "veo"])
def test_prompt_snapshots(example, provider, settings):
    film = load_film(EXAMPLES / example / "film.yaml")
    film = attrs.evolve(film, defaults=attrs.evolve(film.defaults, provider=provider))
    plan = plan_film(film, make_manager(veo=VEO_LIKE), settings)
    text = "\n\n".join(
        f"## {s.id} ({s.duration_s:g}s, refs: {[r.label for r in s.request.reference_images]})\n"
        f"{s.request.prompt}\n-- negative: {s.request.negative_prompt}"
        for s in plan.shots
    )
    if provider == "veo":
        assert all(len(s.request.prompt) <= 600 for s in plan.shots)
    _snapshot(f"{example}-{provider}", text)
    again = plan_film(film, make_manager(veo=VEO_LIKE), settings)
    assert [s.request.prompt for s in again.shots] == [s.request.prompt for s in plan.shots]
