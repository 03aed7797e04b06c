"""Films that used to hang or crash the loader (issue 14), each kept as a test: every one is
refused with a located line (``film.yaml:LINE: ...`` or a key path), exit 2, no traceback,
and ``validate --json`` always prints JSON."""

from __future__ import annotations

import contextlib
import io
import json
import os
import struct
import sys
import zlib
from pathlib import Path

import pytest
from ministudio.errors import ConfigError
from ministudio.film import load_film, read_film
from ministudio.film.bounds import MAX_DEPTH, MAX_FILE_BYTES, MAX_TEXT, MAX_VALUES

from .conftest import make_manager

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

BOMB = "title: T\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """Run ``ministudio ARGS`` in-process with the test providers; (exit code, out, err)."""
    monkeypatch.setenv("MINISTUDIO_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setattr("ministudio.cli.AppState.manager", lambda self, project_dir=None: make_manager())

    def invoke(*args: str) -> tuple[int, str, str]:
        from ministudio.cli import main

        out, err = io.StringIO(), io.StringIO()
        code = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code or 0
        return int(code), out.getvalue(), err.getvalue()

    return invoke


def write(folder: Path, text: str | bytes, name: str = "film.yaml") -> Path:
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def refused(cli, path: Path) -> list[str]:
    """``validate --json`` output for a film that must be refused: the problem lines."""
    code, out, err = cli("validate", "--json", str(path))
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    doc = json.loads(out)
    assert doc["ok"] is False and doc["problems"]
    for line in doc["problems"]:
        assert line.startswith(path.name + ":") and "\n" not in line, line
    return doc["problems"]


# -- documents that expand, nest or grow without bound -------------------------------------------


def test_alias_bomb_refused_at_its_line(cli, tmp_path):
    assert len(BOMB) < 3000
    problems = refused(cli, write(tmp_path, BOMB))
    assert problems == [f"film.yaml:6: expands to more than {MAX_VALUES} values "
                        "(each *alias repeats its anchor's whole value)"]


def test_recursive_alias_refused(cli, tmp_path):
    problems = refused(cli, write(tmp_path, "title: &t [a, *t]\n"))
    assert problems == ["film.yaml:1: alias *t is inside the value it refers to (a recursive structure)"]


@pytest.mark.parametrize("name,text,line", [
    ("film.yaml", "title: T\nscenes: " + "[" * 5000 + "]" * 5000 + "\n", 2),
    ("film.yaml", "title: T\nscenes:\n" + "".join("  " * i + "- \n" for i in range(1, 60)), 2 + MAX_DEPTH),
    ("film.json", '{"title": "T",\n"scenes": ' + "[" * 100_000 + "]" * 100_000 + "}", 2),
    ("film.toml", 'title = "T"\nscenes = ' + "[" * 5000 + "]" * 5000 + "\n", 2),
])
def test_deep_nesting_refused_at_its_line(cli, tmp_path, name, text, line):
    problems = refused(cli, write(tmp_path, text, name))
    assert len(problems) == 1 and problems[0].startswith(f"{name}:{line}: "), problems
    assert problems[0].endswith(f"nested deeper than {MAX_DEPTH} levels"), problems


def test_json_nested_below_the_parser_limit_is_refused_by_key_path(cli, tmp_path):
    text = json.dumps({"title": "T", "style": {"traits": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}})
    problems = refused(cli, write(tmp_path, text, "film.json"))
    assert problems[0].startswith("film.json: style.traits[0]") and "nested deeper" in problems[0]


def test_oversized_file_refused_unread(cli, tmp_path):
    path = write(tmp_path, MINIMAL + "# " + "x" * MAX_FILE_BYTES + "\n")
    problems = refused(cli, path)
    assert problems == [f"film.yaml:1: {path.stat().st_size} bytes; a film file may have at most "
                        f"{MAX_FILE_BYTES}"]


def test_over_long_text_refused_at_its_line(cli, tmp_path):
    text = MINIMAL.replace("title: T", "title: T\nstyle: {negative_prompt: " + "x" * (MAX_TEXT + 1) + "}")
    assert refused(cli, write(tmp_path, text)) == [
        f"film.yaml:2: a text of {MAX_TEXT + 1} characters (at most {MAX_TEXT})"]


def test_problems_are_capped_and_counted(tmp_path):
    shots = "".join(f"      - {{id: s{i}, action: x, duration: .inf}}\n" for i in range(300))
    text = MINIMAL.replace("      - {id: one, action: A sits}\n", shots)
    _, problems = read_film(write(tmp_path, text))
    assert len(problems) == 101
    assert problems[-1] == "film.yaml:1: 200 more problems not shown (fix the ones above first)"


# -- values that used to reach Python's arithmetic -------------------------------------------------


@pytest.mark.parametrize("value,expected", [
    (".inf", "expected a finite number, got inf"),
    ("-.inf", "expected a finite number, got -inf"),
    (".nan", "expected a finite number, got nan"),
    (str(2**64), "expected seconds in (0, 600] or 'auto', got 1.84467e+19"),
    ("1.0e+30", "expected seconds in (0, 600] or 'auto', got 1e+30"),
    ("1" + "0" * 400, "expected a number of sensible size, got one with 401 digits"),
    ("-3", "expected seconds in (0, 600] or 'auto', got -3"),
])
def test_durations_out_of_range(cli, tmp_path, value, expected):
    text = MINIMAL.replace("{id: one, action: A sits}", f"{{id: one, action: A sits, duration: {value}}}")
    assert refused(cli, write(tmp_path, text)) == [f"film.yaml:11: scenes[0].shots[0].duration: {expected}"]


def test_json_infinity_and_nan_refused(cli, tmp_path):
    text = ('{"title": "T", "environments": {"room": {"description": "r"}}, "scenes": [{"id": "s", '
            '"environment": "room", "shots": [{"id": "a", "action": "x", "duration": Infinity, '
            '"transition_s": NaN}]}]}')
    problems = refused(cli, write(tmp_path, text, "film.json"))
    assert problems == ["film.json: scenes[0].shots[0].duration: expected a finite number, got inf",
                        "film.json: scenes[0].shots[0].transition_s: expected a finite number, got nan"]


@pytest.mark.parametrize("ratio", ["0:0", "16:0", "0:9", "16:9:4", "0.0:1", "abc"])
def test_bad_aspect_ratios(cli, tmp_path, ratio):
    text = f'format: {{aspect_ratio: "{ratio}"}}\n' + MINIMAL
    assert refused(cli, write(tmp_path, text)) == [
        f"film.yaml:1: format.aspect_ratio: expected a ratio of two positive numbers like \"16:9\", "
        f"got {ratio!r}"]


@pytest.mark.parametrize("fmt,expected", [
    ('{aspect_ratio: "1:1000"}', "is a 720x720000 frame; each side must be 16 to 8192 pixels"),
    ('{aspect_ratio: "' + "9" * 400 + ':1"}', "format.resolution"),
    ('{resolution: "100000x100000"}', "is a 100000x100000 frame"),
    ('{resolution: "0x0"}', "is a 0x0 frame"),
])
def test_frame_sizes_bounded(cli, tmp_path, fmt, expected):
    problems = refused(cli, write(tmp_path, f"format: {fmt}\n" + MINIMAL))
    assert len(problems) == 1 and expected in problems[0], problems


@pytest.mark.parametrize("where,seed", [("defaults", 2**63), ("defaults", 2**64 + 1), ("shot", -1),
                                        ("shot", 2**32)])
def test_seeds_outside_the_provider_range_are_refused(cli, tmp_path, where, seed):
    """A seed >= 2**63 used to validate and then crash render in SQLite (OverflowError)."""
    if where == "defaults":
        text = f"defaults: {{seed: {seed}}}\n" + MINIMAL
        path_key, line = "defaults.seed", 1
    else:
        text = MINIMAL.replace("{id: one, action: A sits}", f"{{id: one, action: A sits, seed: {seed}}}")
        path_key, line = "scenes[0].shots[0].seed", 11
    path = write(tmp_path, text)
    assert refused(cli, path) == [
        f"film.yaml:{line}: {path_key}: expected a whole number from 0 to 4294967295 "
        f"(the range every provider accepts), got {seed}"]
    with pytest.raises(ConfigError):
        load_film(path)  # what render calls first: the seed can never reach the ledger


def test_largest_seed_accepted(tmp_path):
    film = load_film(write(tmp_path, "defaults: {seed: 4294967295}\n" + MINIMAL))
    assert film.defaults.seed == 2**32 - 1


@pytest.mark.parametrize("key,what", [("1", "a whole number ('1')"), ("null", "null ('null')"),
                                      ("~", "null ('~')"), ("yes", "a yes/no value ('yes')"),
                                      ("2024-01-01", "a date ('2024-01-01')"), ("1.5", "a number ('1.5')")])
def test_keys_that_are_not_text(cli, tmp_path, key, what):
    problems = refused(cli, write(tmp_path, MINIMAL + f"{key}: x\n"))
    assert problems == [f"film.yaml:12: a key must be text, not {what}; put it in quotes if you meant text"]


def test_nested_key_that_is_not_text(cli, tmp_path):
    text = MINIMAL.replace("{id: one, action: A sits}", "{id: one, action: A sits, 3: x}")
    assert refused(cli, write(tmp_path, text)) == [
        "film.yaml:11: a key must be text, not a whole number ('3'); put it in quotes if you meant text"]


@pytest.mark.parametrize("text,line", [
    (b"title: a\x00b\n", 1), (b"title: T\n\x07\n", 2), (b"title: \xff\xfe\n", 1),
    (b"a: &x 1\nb: &x 2\n", 2), (b"title: T\ntitle: [\n", 3),
])
def test_unparseable_text_is_located_and_still_json(cli, tmp_path, text, line):
    problems = refused(cli, write(tmp_path, text))
    assert len(problems) == 1 and problems[0].startswith(f"film.yaml:{line}: "), problems


def test_control_characters_in_text_refused(cli, tmp_path):
    text = MINIMAL.replace("title: T", 'title: "T\\0x\\e"')
    assert refused(cli, write(tmp_path, text)) == [
        "film.yaml:1: title: text contains a NUL character at position 1"]


@pytest.mark.parametrize("special", ["fifo", "dir"])
def test_film_that_is_not_a_regular_file(cli, tmp_path, special):
    path = tmp_path / "film.yaml"
    os.mkfifo(path) if special == "fifo" else path.mkdir()
    code, out, err = cli("validate", "--json", str(path))  # a FIFO would block a plain read
    assert code == 2
    assert json.loads(out)["error"].endswith("not a regular file")


# -- references ----------------------------------------------------------------------------------


def _png(path: Path, width: int, height: int) -> Path:
    """A PNG whose header declares ``width`` x ``height`` (the pixel data is a few bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    return path


def _with_refs(folder: Path, *refs: str) -> Path:
    listed = ", ".join(json.dumps(r) for r in refs)
    return write(folder, MINIMAL.replace("{name: A}", f"{{name: A, references: [{listed}]}}"))


_OPENED: list[str] = []
_WATCHING: list[bool] = []


def _audit(event: str, args: tuple) -> None:
    if _WATCHING and event == "open" and isinstance(args[0], str | bytes | os.PathLike):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


@pytest.fixture
def opened():
    """Paths opened while the test body runs (Python's ``open`` audit event)."""
    _OPENED.clear()
    _WATCHING.append(True)
    yield _OPENED
    _WATCHING.clear()


def test_giant_declared_image_refused_before_decoding(cli, tmp_path):
    (tmp_path / "refs").mkdir()
    _png(tmp_path / "refs" / "giant.png", 100_000, 100_000)
    _png(tmp_path / "refs" / "wide.png", 40_000, 2_000)  # under PIL's own guard, over ours
    problems = refused(cli, _with_refs(tmp_path, "refs/giant.png", "refs/wide.png"))
    assert problems == [
        "film.yaml:5: characters.a.references[0]: refs/giant.png: the image declares more than "
        "40,000,000 pixels",
        "film.yaml:5: characters.a.references[1]: refs/wide.png: the image declares 40000x2000 "
        "pixels; the most a reference can have is 40,000,000",
    ]


def test_symlink_out_is_refused_unopened_and_shown_as_written(cli, tmp_path, opened):
    secret = tmp_path / "elsewhere" / "secret.png"
    secret.parent.mkdir()
    _png(secret, 16, 9)
    film = tmp_path / "film"
    (film / "refs").mkdir(parents=True)
    (film / "refs" / "face.png").symlink_to(secret)
    opened.clear()
    code, out, err = cli("validate", "--json", str(_with_refs(film, "refs/face.png")))
    assert code == 2
    assert json.loads(out)["problems"] == [
        "film.yaml:5: characters.a.references[0]: refs/face.png is outside the film's folder; move "
        "it in, or allow it explicitly (--allow-outside-refs)"]
    assert "elsewhere" not in out + err
    assert opened and not [p for p in opened if p.endswith(("secret.png", "face.png"))], opened


def test_symlink_inside_is_shown_by_its_own_name(cli, tmp_path):
    (tmp_path / "refs").mkdir()
    _png(tmp_path / "refs" / "real-name.png", 30_000, 30_000)
    (tmp_path / "refs" / "face.png").symlink_to("real-name.png")
    problems = refused(cli, _with_refs(tmp_path, "refs/face.png"))
    assert problems[0].startswith("film.yaml:5: characters.a.references[0]: refs/face.png: ")
    assert "real-name" not in problems[0]


def test_hard_link_refused_unopened_unless_allowed(cli, tmp_path, opened):
    outside = _png(tmp_path / "outside.png", 16, 9)
    film = tmp_path / "film"
    (film / "refs").mkdir(parents=True)
    os.link(outside, film / "refs" / "face.png")
    path = _with_refs(film, "refs/face.png")
    opened.clear()
    problems = refused(cli, path)
    assert problems == [
        "film.yaml:5: characters.a.references[0]: refs/face.png: a hard link (2 names for one "
        "file), which may be a file outside the film's folder; copy it in instead, or allow it "
        "explicitly (--allow-outside-refs)"]
    assert not [p for p in opened if p.endswith("face.png")], opened
    code, out, err = cli("validate", "--allow-outside-refs", str(path))
    assert code == 0, err


def test_reference_problems_keep_their_place(cli, tmp_path):
    """Refused references leave the film; later ones are still reported at their own index."""
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "loop1.png").symlink_to("loop2.png")
    (tmp_path / "refs" / "loop2.png").symlink_to("loop1.png")
    os.mkfifo(tmp_path / "refs" / "pipe.png")
    problems = refused(cli, _with_refs(tmp_path, "../up.png", "refs/loop1.png", "refs/pipe.png",
                                       "refs/missing.png"))
    assert problems == [
        "film.yaml:5: characters.a.references[0]: ../up.png is outside the film's folder; move it "
        "in, or allow it explicitly (--allow-outside-refs)",
        "film.yaml:5: characters.a.references[1]: refs/loop1.png cannot be resolved (a symbolic "
        "link loop)",
        "film.yaml:5: characters.a.references[2]: refs/pipe.png: not a regular file",
        "film.yaml:5: characters.a.references[3]: file not found: refs/missing.png",
    ]


@pytest.mark.parametrize("ref,expected", [
    ("file:///etc/passwd", "'file:///etc/passwd' is a URL, and URLs are not references"),
    ("http://example.com/a.png", "'http://example.com/a.png' is a URL, and URLs are not references"),
    ("https://example.com/a.png", "is a URL, and URLs are not references"),
    ("data:image/png;base64,iVBOR", "is a URL, and URLs are not references"),
    ("refs/a\x00b.png", "a path cannot contain a NUL character"),
    ("refs/" + "x" * 300 + ".png", "a path part of 304 characters is too long (at most 255)"),
    ("/".join(["abc"] * 300), "a path of 1199 characters is too long (at most 1024)"),
])
def test_references_that_are_not_paths(cli, tmp_path, opened, ref, expected):
    path = _with_refs(tmp_path, "refs/missing.png", ref)
    opened.clear()
    problems = refused(cli, path)
    assert problems[0] == "film.yaml:5: characters.a.references[1]: " + problems[0].split(": ", 2)[2]
    assert expected in problems[0], problems
    assert not [p for p in opened if "passwd" in p], opened


def test_start_frame_url_refused(cli, tmp_path):
    text = MINIMAL.replace("{id: one, action: A sits}", "{id: one, action: A sits, start_frame: 'file:///etc/hosts'}")
    problems = refused(cli, write(tmp_path, text))
    assert problems == ["film.yaml:11: scenes[0].shots[0].start_frame: 'file:///etc/hosts' is a URL, "
                        "and URLs are not references: save the file in the film's folder and write its path"]
