"""Conditioning choices on models that cannot combine references and frames (Veo-like), and
durations that a model allows only with references or at some resolutions."""

from __future__ import annotations

import attrs

from ministudio.compile import plan_film
from ministudio.compile.planner import plan_problems
from ministudio.film import load_film
from ministudio.film.model import Conditioning

from .conftest import VEO_LIKE, make_manager


def _film(film_dir, conditioning: Conditioning | None = None, **fmt):
    film = load_film(film_dir / "film.yaml")
    film = attrs.evolve(film, defaults=attrs.evolve(film.defaults, provider="veo"))
    if fmt:
        film = attrs.evolve(film, format=attrs.evolve(film.format, **fmt))
    if conditioning is not None:
        scene = film.scenes[0]
        shots = tuple(attrs.evolve(s, conditioning=conditioning) for s in scene.shots)
        film = attrs.evolve(film, scenes=(attrs.evolve(scene, shots=shots), *film.scenes[1:]))
    return film


def _by_id(plan):
    return {s.id: s for s in plan.shots}


def test_auto_sends_references_first_then_the_frame(film_dir, settings):
    plan = _by_id(plan_film(_film(film_dir), make_manager(veo=VEO_LIKE), settings))
    assert plan["rain.arrive"].request.reference_images and plan["rain.arrive"].continues_from is None
    offer = plan["rain.offer"]
    assert offer.continues_from == "rain.arrive" and not offer.request.reference_images


def test_references_preference_breaks_the_chain(film_dir, settings):
    film = _film(film_dir, Conditioning.REFERENCES)
    offer = _by_id(plan_film(film, make_manager(veo=VEO_LIKE), settings))["rain.offer"]
    assert offer.continues_from is None and offer.request.reference_images


def test_frame_preference_drops_references_on_continued_shots(film_dir, settings):
    film = _film(film_dir, Conditioning.FRAME)
    offer = _by_id(plan_film(film, make_manager(veo=VEO_LIKE), settings))["rain.offer"]
    assert offer.continues_from == "rain.arrive" and not offer.request.reference_images


def test_both_on_a_model_that_cannot_combine_is_a_located_problem(film_dir, settings):
    _plan, problems = plan_problems(_film(film_dir, Conditioning.BOTH),
                                    make_manager(veo=VEO_LIKE), settings)
    combine = [p for p in problems if "cannot combine reference images" in p]
    assert combine and all(p.startswith("film.yaml:") for p in combine)
    # a model that can combine them takes both
    able = attrs.evolve(VEO_LIKE, references_with_frames=True)
    plan, problems = plan_problems(_film(film_dir, Conditioning.BOTH), make_manager(veo=able),
                                   settings)
    offer = _by_id(plan)["rain.offer"]
    assert not [p for p in problems if "combine" in p]
    assert offer.continues_from and offer.request.reference_images


def test_reference_and_resolution_only_durations_are_planned_and_checked(film_dir, settings):
    veo = attrs.evolve(VEO_LIKE, reference_durations=(8.0,), resolutions=("720p", "1080p"),
                       resolution_durations=(("1080p", (8.0,)),))
    plan = _by_id(plan_film(_film(film_dir), make_manager(veo=veo), settings))
    assert plan["rain.arrive"].request.reference_images
    assert plan["rain.arrive"].duration_s == 8.0  # auto snapped to what references allow
    assert all(s.duration_s in (4.0, 6.0, 8.0) for s in plan.values())
    hd = _by_id(plan_film(_film(film_dir, resolution="1080p"), make_manager(veo=veo), settings))
    assert {s.duration_s for s in hd.values()} == {8.0}
