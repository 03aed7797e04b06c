"""An option that changes what a film means is taken by `validate`, `plan` and `render` alike:
a film `validate` passes with it can be planned and rendered with it (issue: `validate` said to
pass `--allow-outside-refs`, which `render` did not take)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ministudio.cli import main
from ministudio.cli.film import plan, validate
from ministudio.cli.options import FILM_OPTIONS
from ministudio.cli.render import render


def test_every_film_option_is_taken_by_every_film_command() -> None:
    assert FILM_OPTIONS
    for name, _option in FILM_OPTIONS:
        for command in (validate, plan, render):
            params = {p.name for p in command.params}
            assert name in params, f"`{command.name}` lacks --{name.replace('_', '-')}"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


@pytest.fixture
def outside_film(tmp_path: Path, capsys) -> Path:
    """`init`'s film with Pip's portrait moved out of the film's folder."""
    code, _, err = _run(capsys, "init", str(tmp_path / "f"))
    assert code == 0, err
    shared = tmp_path / "shared"
    shared.mkdir()
    shutil.move(tmp_path / "f" / "refs" / "pip.png", shared / "pip.png")
    film = tmp_path / "f" / "film.yaml"
    film.write_text(film.read_text().replace("[refs/pip.png]", "[../shared/pip.png]"))
    return film


def test_outside_references_are_refused_the_same_way_by_all_three(outside_film, capsys) -> None:
    for argv in (["validate"], ["plan"], ["render", "--dry-run"]):
        code, out, err = _run(capsys, *argv, str(outside_film))
        assert code == 2, (argv, out, err)
        assert "is outside the film's folder" in err and "--allow-outside-refs" in err


def test_with_the_option_the_film_validates_plans_and_renders(outside_film, capsys) -> None:
    code, out, err = _run(capsys, "validate", "--allow-outside-refs", str(outside_film))
    assert code == 0, err
    code, out, err = _run(capsys, "plan", "--allow-outside-refs", "--json", str(outside_film))
    assert code == 0, err
    refs = [r["path"] for clip in json.loads(out)["clips"] for r in clip["reference_images"]]
    assert any(p.endswith("shared/pip.png") for p in refs)
    code, out, err = _run(capsys, "render", "--allow-outside-refs", "--dry-run", "--json",
                          str(outside_film))
    assert code == 0, err
    event = json.loads(out.strip().splitlines()[-1])
    assert event["event"] == "plan" and event["shots"] == 2
