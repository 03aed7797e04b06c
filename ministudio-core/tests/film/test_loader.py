from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ministudio.errors import ConfigError
from ministudio.film import Continuity, load_film, read_film

MINIMAL = """\
title: T
environments:
  room: {description: a room}
characters:
  a: {name: A}
scenes:
  - id: s
    environment: room
    characters: [a]
    shots:
      - {id: one, action: A sits}
"""


def write(tmp_path: Path, text: str, name: str = "film.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_minimal_defaults(tmp_path):
    film = load_film(write(tmp_path, MINIMAL))
    shot = film.scenes[0].shots[0]
    assert shot.duration == "auto" and shot.continuity is Continuity.AUTO
    assert film.format.aspect_ratio == "16:9"
    assert film.origin.path == (tmp_path / "film.yaml").resolve()



def test_json_equals_yaml(tmp_path):
    data = yaml.safe_load(MINIMAL)
    y = load_film(write(tmp_path, MINIMAL))
    j = load_film(write(tmp_path, json.dumps(data), "film.json"))
    assert y == j
    toml_text = (
        'title = "T"\n[environments.room]\ndescription = "a room"\n[characters.a]\nname = "A"\n'
        '[[scenes]]\nid = "s"\nenvironment = "room"\ncharacters = ["a"]\n'
        '[[scenes.shots]]\nid = "one"\naction = "A sits"\n'
    )
    assert load_film(write(tmp_path, toml_text, "film.toml")) == y


def test_every_mistake_located_once(tmp_path):
    text = MINIMAL.replace("  a: {name: A}", "  a: {name: A, colour: red}").replace(
        "      - {id: one, action: A sits}",
        "      - {id: one, action: A sits, duration: long, seed: 1.5}\n"
        "      - {id: two, action: x, dialogue: [{speaker: zed, line: hi}]}",
    )
    film, problems = read_film(write(tmp_path, text))
    assert problems == [
        "film.yaml:5: characters.a.colour: unknown key (known: name, description, identity, "
        "wardrobe, props, condition, references, voice, identity_threshold)",
        "film.yaml:11: scenes[0].shots[0].duration: expected a number or 'auto', got text 'long'",
        "film.yaml:11: scenes[0].shots[0].seed: expected a whole number, got the number 1.5",
        "film.yaml:12: scenes[0].shots[1].dialogue[0].speaker: unknown character 'zed' (defined: a)",
    ]
    assert film is not None  # recovered by dropping the bad keys


def test_typo_suggests_the_key(tmp_path):
    _, problems = read_film(write(tmp_path, MINIMAL.replace("title: T", "titel: T")))
    assert any("titel: unknown key (did you mean 'title'?)" in p for p in problems)
    assert any(p.startswith("film.yaml:1: title: required") for p in problems)


def test_unquoted_aspect_ratio_is_explained(tmp_path):
    _, problems = read_film(write(tmp_path, "format: {aspect_ratio: 9:16}\n" + MINIMAL))
    assert "YAML reads 16:9 unquoted as a number" in problems[0]
    assert problems[0].startswith("film.yaml:1: format.aspect_ratio: expected text")


def test_no_silent_coercion(tmp_path):
    text = MINIMAL.replace("title: T", "title: 12").replace("[a]\n    shots", "[a]\n    mood: yes\n    shots")
    _, problems = read_film(write(tmp_path, text))
    assert any("title: expected text, got the number 12" in p for p in problems)
    assert any("scenes[0].mood: expected text, got true" in p for p in problems)


def test_path_outside_folder_refused_unless_allowed(tmp_path):
    (tmp_path / "film").mkdir()
    text = MINIMAL.replace("{name: A}", "{name: A, references: [../outside.png]}")
    path = write(tmp_path / "film", text)
    with pytest.raises(ConfigError) as err:
        load_film(path)
    assert "characters.a.references[0]: ../outside.png is outside the film's folder" in str(err.value)
    film = load_film(path, allow_outside_refs=True)
    assert film.characters["a"].references == ((tmp_path / "outside.png").resolve(),)


def test_references_resolve_relative_to_film(tmp_path):
    text = MINIMAL.replace("{name: A}", "{name: A, references: [refs/a.png]}")
    film = load_film(write(tmp_path, text))
    assert film.characters["a"].references[0] == (tmp_path / "refs" / "a.png").resolve()


def test_duplicate_keys_and_ids(tmp_path):
    text = MINIMAL.replace("title: T", "title: T\ntitle: U").replace(
        "      - {id: one, action: A sits}", "      - {id: one, action: A sits}\n      - {id: one, action: again}")
    _, problems = read_film(write(tmp_path, text))
    assert any("film.yaml:2: title: written twice" in p for p in problems)
    assert any("shot id 'one' is used twice" in p for p in problems)


def test_continue_across_environment_change_refused(tmp_path):
    text = MINIMAL.replace("  room: {description: a room}", "  room: {description: a room}\n  hall: {description: a hall}") + (
        "  - id: s2\n    environment: hall\n    shots:\n      - {id: x, action: y, continuity: continue}\n")
    _, problems = read_film(write(tmp_path, text))
    assert any("scenes[1].shots[0].continuity: the environment changes here" in p for p in problems)


def test_syntax_error_located(tmp_path):
    with pytest.raises(ConfigError) as err:
        read_film(write(tmp_path, "title: [unclosed\n"))
    assert err.value.problems[0].startswith("film.yaml:2:")


def test_unknown_suffix(tmp_path):
    with pytest.raises(ConfigError, match="unknown film file type"):
        read_film(write(tmp_path, MINIMAL, "film.txt"))
