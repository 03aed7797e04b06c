from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from ministudio.cli import cli
from ministudio.errors import ConfigError
from ministudio.film.loader import film_problems, read_film
from ministudio.film.model import Origin
from ministudio.film.schema import film_schema

from .conftest import EXAMPLES, REPO, make_manager


@pytest.fixture
def run(monkeypatch, tmp_path):
    """Invoke the CLI with the test plugin manager (fake animatic + speech providers)."""
    monkeypatch.setenv("MINISTUDIO_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setattr("ministudio.cli.AppState.manager", lambda self, project_dir=None: make_manager())

    def invoke(*args: str):
        from ministudio.cli import main

        return _run_main(main, args)

    return invoke


def _run_main(main, args):
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code or 0
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("example", ["tides-explainer", "umbrella-dialogue"])
def test_validate_and_plan_pass_on_examples(run, example):
    path = str(EXAMPLES / example / "film.yaml")
    code, out, err = run("validate", path)
    assert code == 0, err
    assert "ok" in out
    code, out, err = run("plan", "--json", path)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["format"] == "ministudio.plan/1"
    assert set(doc["clips"][0]) >= {"id", "provider", "model", "duration_s", "continues_from",
                                    "prompt", "reference_images", "speech", "estimated_cost"}


def test_several_mistakes_one_line_each_exit_2(run, tmp_path, monkeypatch):
    src = (EXAMPLES / "umbrella-dialogue" / "film.yaml").read_text()
    import shutil

    shutil.copytree(EXAMPLES / "umbrella-dialogue" / "refs", tmp_path / "refs")
    (tmp_path / "refs" / "theo.png").unlink()  # missing reference file
    bad = (src.replace("    wardrobe: yellow raincoat", "    wardrob: yellow raincoat")  # unknown key
           .replace("    voice: {language: en-US, rate: 1.05}", "    voice: {language: en-US, rate: fast}")
           .replace("title: The Umbrella", "title: The Umbrella\ndefaults: {provider: veo}"))
    bad = bad.replace("        duration: 4\n      - id: offer", "        duration: 5\n      - id: offer")
    (tmp_path / "film.yaml").write_text(bad)
    from .conftest import VEO_LIKE

    monkeypatch.setattr("ministudio.cli.AppState.manager",
                        lambda self, project_dir=None: make_manager(veo=VEO_LIKE))
    code, out, err = run("validate", str(tmp_path / "film.yaml"))
    assert code == 2
    assert "Traceback" not in err
    lines = [ln.strip() for ln in err.splitlines() if ln.startswith("  film.yaml:")]
    assert any("characters.mira.wardrob: unknown key (did you mean 'wardrobe'?)" in ln for ln in lines)
    assert any("characters.mira.voice.rate: expected a number, got text 'fast'" in ln for ln in lines)
    assert any("characters.theo.references[0]: file not found: refs/theo.png" in ln for ln in lines)
    assert any("scenes[0].shots[0].duration: veo/veo-like: duration 5s is not one" in ln for ln in lines)
    assert len(lines) == 4, err


def test_init_scaffolds_a_valid_film(run, tmp_path):
    target = tmp_path / "myfilm"
    code, out, err = run("init", str(target))
    assert code == 0, err
    assert (target / "refs" / "pip.png").is_file()
    code, out, err = run("validate", str(target / "film.yaml"))
    assert code == 0, err
    code, out, err = run("init", str(target))
    assert code == 2 and "not empty" in err


def test_published_schema_is_up_to_date():
    published = json.loads((REPO / "docs" / "film.schema.json").read_text())
    assert published == film_schema(), "regenerate: python -m ministudio.film.schema > docs/film.schema.json"


def _keys_in_schema(data, schema, defs, path="$"):
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        schema = next((s for s in schema["anyOf"] if "$ref" in s or s.get("type") in ("object", "array")), schema["anyOf"][0])
        if "$ref" in schema:
            schema = defs[schema["$ref"].rsplit("/", 1)[1]]
    if isinstance(data, dict):
        if "properties" in schema:
            for k, v in data.items():
                assert k in schema["properties"], f"{path}.{k} not in schema"
                _keys_in_schema(v, schema["properties"][k], defs, f"{path}.{k}")
        elif "additionalProperties" in schema:
            for k, v in data.items():
                _keys_in_schema(v, schema["additionalProperties"], defs, f"{path}.{k}")
    elif isinstance(data, list) and "items" in schema:
        for i, v in enumerate(data):
            _keys_in_schema(v, schema["items"], defs, f"{path}[{i}]")


@pytest.mark.parametrize("example", ["tides-explainer", "umbrella-dialogue"])
def test_examples_match_schema(example):
    schema = film_schema()
    data = yaml.safe_load((EXAMPLES / example / "film.yaml").read_text())
    _keys_in_schema(data, schema, schema["$defs"])


# -- fuzz: malformed films always give a clean, located error ------------------------------------

BASE = yaml.safe_load((EXAMPLES / "umbrella-dialogue" / "film.yaml").read_text())
junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids, max_size=3),
    max_leaves=6,
)


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, (*prefix, i))


ALL_PATHS = [p for p in _paths(BASE) if p]


def _set(data, path, value):
    import copy

    data = copy.deepcopy(data)
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(ALL_PATHS), value=junk, extra=st.booleans())
def test_fuzz_malformed_films_give_clean_errors(path, value, extra, tmp_path_factory):
    data = _set(BASE, path, value)
    if extra and isinstance(data, dict):
        data["unexpected_key"] = 1
    origin = Origin(path=Path("film.yaml"), base_dir=EXAMPLES / "umbrella-dialogue")
    film, problems = film_problems(data, origin)  # must never raise
    assert all(isinstance(p, str) and p.startswith("film.yaml") and "\n" not in p for p in problems)
    if extra:
        assert any("unexpected_key: unknown key" in p for p in problems)


@hsettings(max_examples=60, deadline=None)
@given(text=st.text(max_size=200))
def test_fuzz_arbitrary_text_never_crashes(text, tmp_path_factory):
    path = tmp_path_factory.mktemp("f") / "film.yaml"
    path.write_text(text)
    try:
        film, problems = read_film(path)
    except ConfigError as exc:
        assert exc.problems or exc.message
        return
    assert film is None or not problems or all(p.startswith("film.yaml") for p in problems)
    assert film is not None or problems
