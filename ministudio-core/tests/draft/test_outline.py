"""The offline drafter on a dozen plain descriptions: what it understood, and that every
draft loads and validates on the offline default providers (animatic + piper)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ministudio
from ministudio.config import load_settings
from ministudio.converter import structure, unstructure
from ministudio.capabilities import DraftModel, Operation, ProviderSpec
from ministudio.draft.text import hints, sentences
from ministudio.plugins import PluginManager
from ministudio.requests import DraftRequest, DraftResult

ORB = ("A lone researcher discovers a glowing orb in the lab. She looks amazed and reaches "
       "towards it. Duration: 10 seconds. Style: cinematic")

#: (description, characters {id: gender word in the description or None}, shots,
#:  style preset, aspect ratio, total seconds of the silent shots or None)
CASES: list[tuple[str, str, dict[str, str | None], int, str, str, float | None]] = [
    ("orb", ORB, {"researcher": "woman"}, 2, "cinematic", "16:9", 10.0),
    ("dialogue", 'Mira, a young illustrator, waits at a rainy bus stop at dusk. Theo, a bus '
     'driver, offers her his umbrella. "The forty-two is always late," Theo says. "Then I\'ll '
     'take that umbrella," she replies with a grin. They laugh together.',
     {"mira": "woman", "theo": "man"}, 4, "cinematic", "16:9", None),
    ("product-ad", "Introducing the Zest sparkling water. A bottle of Zest sits on a kitchen "
     "counter in morning light. Bubbles rise as the cap twists open. A woman takes a sip and "
     "smiles. Zest: taste the sunshine. A 15-second ad.",
     {"woman": "woman"}, 5, "cinematic", "16:9", 15.0),
    ("childrens-story", "Once upon a time, a little bunny lived in a quiet forest. Every night he "
     "looked up at the moon. One evening he decided to hop all the way to the top of the hill. "
     "There he met a wise old owl. The owl told him the moon was a friend to everyone.",
     {"bunny": "he", "owl": None}, 5, "storybook", "16:9", None),
    ("vertical-short", "A vertical 9:16 short. A skateboarder rolls down an empty city street at "
     "sunrise. He kicks up his board and lands a trick. The crowd cheers.",
     {"skateboarder": "man"}, 3, "cinematic", "9:16", None),
    ("three-characters", 'Ada, Ben and Carla sit around a campfire in the woods. Ada tells a '
     'ghost story. Ben looks scared. Carla laughs and throws a stick into the fire. "You\'re '
     'all cowards," Carla says.', {"ada": None, "ben": None, "carla": None}, 4, "cinematic",
     "16:9", None),
    ("noir", 'A detective walks into a smoky bar at midnight. He sits down and orders a whisky. '
     'A stranger in a red coat slides onto the stool beside him. "You\'re looking for me," she '
     'whispers.', {"detective": "man", "stranger": "woman"}, 3, "cinematic", "16:9", None),
    ("narrated", "Narrator: Every great idea starts small. A girl sketches a robot in her "
     "notebook. The robot comes to life and waves at her. Narrator: And then it grows.",
     {"girl": None, "robot": "she"}, 2, "cinematic", "16:9", None),
    ("labelled", "An astronaut floats outside a space station above the earth. Slowly she turns "
     "towards the camera. Style: realistic. Aspect: 16:9. Title: Orbit",
     {"astronaut": "woman"}, 2, "realistic", "16:9", None),
    ("explainer", 'Dr. Lena Okafor explains how the new app works in a bright office. She points '
     'at a chart on the wall. "It saves you an hour a day," she says. Style: flat explainer.',
     {"okafor": "woman"}, 2, "flat-explainer", "16:9", None),
    ("no-dialogue-scenery", "The sun sets over a quiet harbor. Fishing boats rock gently on the "
     "water. An old fisherman mends his net on the pier.", {"fisherman": None}, 3, "cinematic",
     "16:9", None),
    ("fantasy", "A knight rides a horse across a misty valley. He arrives at a dark castle. The "
     "dragon roars from the tower. The knight raises his shield.",
     {"knight": "man", "dragon": None}, 4, "cinematic", "16:9", None),
]


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, Path]:
    root = tmp_path_factory.mktemp("drafts")
    settings = load_settings(project_dir=root, env={})
    manager = PluginManager(env={})
    assert manager.get_provider("animatic", Operation.CLIP)  # the offline default is installed
    return manager, settings, root


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_drafts_what_the_text_says_and_validates(case: Any, offline: Any) -> None:
    name, text, characters, shots, style, aspect, total = case
    manager, settings, root = offline
    film = ministudio.draft(text, directory=root, manager=manager, settings=settings)
    assert set(film.characters) == set(characters), film.characters
    for cid, word in characters.items():
        if word:
            assert word in film.characters[cid].description.split(" ") or \
                f"({word})" in film.characters[cid].description, film.characters[cid]
    all_shots = [sh for sc in film.scenes for sh in sc.shots]
    assert len(all_shots) == shots
    assert film.style.preset == style
    assert film.format.aspect_ratio == aspect
    for sh in all_shots:  # speech is fitted ("auto"); silent shots have seconds
        speaks = bool(sh.dialogue or sh.narration)
        assert (sh.duration == "auto") == speaks, (sh.id, sh.duration)
        for line in sh.dialogue:
            assert line.speaker in (sh.characters or ())
    if total is not None:
        assert sum(sh.duration for sh in all_shots if sh.duration != "auto") == pytest.approx(total)


def test_the_orb_sentence_in_detail(offline: Any) -> None:
    manager, settings, root = offline
    film = ministudio.draft(ORB, directory=root, manager=manager, settings=settings)
    assert film.title == "The Glowing Orb"
    assert list(film.environments) == ["lab"]
    first, second = film.scenes[0].shots
    assert first.preset == "establishing-wide" and second.preset == "dramatic-close-up"
    # each shot renders on its own: the pronoun is replaced by who it means
    assert second.action.startswith("The researcher looks amazed")
    assert (first.duration, second.duration) == (5.0, 5.0)


def test_dialogue_is_attributed_and_pronouns_resolve(offline: Any) -> None:
    manager, settings, root = offline
    film = ministudio.draft(CASES[1][1], directory=root, manager=manager, settings=settings)
    shots = film.scenes[0].shots
    lines = [(ln.speaker, ln.line) for sh in shots for ln in sh.dialogue]
    assert lines == [("theo", "The forty-two is always late."),
                     ("mira", "Then I'll take that umbrella.")]
    assert shots[2].action == "Mira replies with a grin."
    assert set(shots[3].characters or ()) == {"mira", "theo"}  # "They laugh together"


def test_story_and_narrator_lines_become_narration(offline: Any) -> None:
    manager, settings, root = offline
    story = ministudio.draft(CASES[3][1], directory=root, manager=manager, settings=settings)
    assert all(sh.narration for sc in story.scenes for sh in sc.shots)
    assert [sc.environment for sc in story.scenes] == ["forest", "hill"]  # the moon is a sight
    narrated = ministudio.draft(CASES[7][1], directory=root, manager=manager, settings=settings)
    shots = [sh for sc in narrated.scenes for sh in sc.shots]
    assert shots[0].narration == "Every great idea starts small."
    assert shots[-1].narration == "And then it grows."


def test_deterministic_and_user_choices_win(offline: Any) -> None:
    from ministudio.draft.outline import outline

    assert outline(ORB).data == outline(ORB).data
    manager, settings, root = offline
    film = ministudio.draft(ORB, directory=root, manager=manager, settings=settings,
                            hints={"title": "Orb", "aspect_ratio": "9:16", "style": "ghibli",
                                   "duration_s": 6})
    assert (film.title, film.format.aspect_ratio, film.style.preset) == ("Orb", "9:16", "ghibli")
    assert sum(sh.duration for sh in film.scenes[0].shots) == 6


def test_sentences_keep_quotes_and_abbreviations_whole() -> None:
    text = 'Dr. Reyes opens the door. "Wait! Who is there?" she asks. It is 3.5 metres wide.'
    assert sentences(text) == ["Dr. Reyes opens the door.", '"Wait! Who is there?" she asks.',
                               "It is 3.5 metres wide."]
    found = hints(sentences("A fox runs. Duration: 1 minute. Title: Fox. A 9:16 short."))
    assert (found.duration_s, found.title, found.aspect_ratio) == (60.0, "Fox", "9:16")
    assert found.rest == ("A fox runs.",)


def test_an_empty_description_is_one_clear_error(offline: Any) -> None:
    manager, settings, root = offline
    with pytest.raises(ministudio.ConfigError, match="nothing to draft"):
        ministudio.draft("   ", directory=root, manager=manager, settings=settings)


def test_draft_records_round_trip_through_the_converter() -> None:
    spec = ProviderSpec(name="x", operations={Operation.DRAFT},
                        draft_models=(DraftModel(id="m", deterministic=True),))
    assert structure(unstructure(spec), ProviderSpec) == spec
    req = DraftRequest(provider="x", text="t", hints={"title": "T"}, problems=["a", "b"], round=2)
    assert structure(unstructure(req), DraftRequest) == req
    res = DraftResult(film="title: x", provider="x", notes={"open": ["title"]})
    assert structure(unstructure(res), DraftResult) == res
    with pytest.raises(ValueError, match="declares no draft_models"):
        ProviderSpec(name="y", operations={Operation.DRAFT})
