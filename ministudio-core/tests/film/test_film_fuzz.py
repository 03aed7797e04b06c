"""The adversarial film fuzz suite (issue 14): 520 films from a seeded generator, covering every
family that once hung or crashed ``validate`` (alias bombs, recursive aliases, deep nesting,
non-finite and huge numbers, bad aspect ratios and frame sizes, keys that are not text, URLs,
NUL bytes, over-long paths, symlink loops, symlinks and hard links out of the folder, FIFOs,
images declaring giant sizes, oversized text) plus random value and text mutations of a real
film, in YAML, JSON and TOML.

For every film, ``ministudio validate --json`` must exit 0 or 2, print one JSON document, never
a traceback, and locate every problem (``film.yaml:LINE: ...`` or ``film.json: key.path: ...``).
A case that runs for more than 5 seconds is reported as a hang (an alarm, not a speed target:
each case normally takes milliseconds). A sample runs the real command in a subprocess.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from ministudio.film.bounds import MAX_VALUES

from .conftest import EXAMPLES, make_manager

SEED = 14
HANG_S = 5
BASE = yaml.safe_load((EXAMPLES / "umbrella-dialogue" / "film.yaml").read_text())
BASE_TEXT = (EXAMPLES / "umbrella-dialogue" / "film.yaml").read_text()


# -- writing a film in each format ---------------------------------------------------------------


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v if x is not None) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(x)}"
                               for k, x in v.items() if x is not None) + "}"
    return json.dumps(str(v))


def dump(data: Any, kind: str) -> str:
    if kind == "json":
        return json.dumps(data, indent=1, default=str)
    if kind == "toml":
        if not isinstance(data, dict):
            return f"value = {_toml_value(data)}\n"
        return "".join(f"{json.dumps(str(k))} = {_toml_value(v)}\n" for k, v in data.items() if v is not None)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1_000_000)


# -- the generator -------------------------------------------------------------------------------


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


ALL_PATHS = _paths(BASE)
SHOT = ("scenes", 0, "shots", 0)


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    data = json.loads(json.dumps(data))
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


EDGE_NUMBERS = [math.inf, -math.inf, math.nan, 2**63, 2**64, -(2**63) - 1, 10**400, 1e30, -1e30,
                0, -0.0, -1, 1e-320, 5e-324, 2**53 + 1, 601, 0.0001, True, False]
EDGE_TEXT = ["", " ", "\x00", "a\x00b", "\x1b[31m", "\u202e", "\ud7ff", "🎬" * 50, "x" * 25_000,
             "auto", "AUTO", "16:9", "0:0", "NaN", "null", "~", "*a", "&a", "!!python/object", "'",
             "\\", "{{", "%s", "../" * 40 + "etc/passwd", "http://x", "file:///etc/passwd"]


def _junk(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.35:
        return rng.choice(EDGE_NUMBERS)
    if roll < 0.7:
        return rng.choice(EDGE_TEXT)
    if roll < 0.85:
        return [_junk(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(["id", "action", "x", "duration", "seed", "1", "title"]): _junk(rng, depth + 1)
            for _ in range(rng.randint(0, 3))}


def _png_bytes(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


#: a case: (family, file kind, file bytes)
Case = tuple[str, str, bytes]


def mutate_value(rng: random.Random) -> Case:
    kind = rng.choice(["yaml", "yaml", "json", "toml"])
    data = BASE
    for _ in range(rng.randint(1, 3)):
        data = _set(data, rng.choice(_paths(data) or ALL_PATHS), _junk(rng))
    if rng.random() < 0.2:
        data["unexpected_key"] = 1
    return "value", kind, dump(data, kind).encode("utf-8", "surrogatepass")


def mutate_text(rng: random.Random) -> Case:
    text = bytearray(BASE_TEXT.encode())
    for _ in range(rng.randint(1, 6)):
        at = rng.randrange(len(text))
        op = rng.random()
        if op < 0.3:
            del text[at:at + rng.randint(1, 40)]
        elif op < 0.6:
            text[at:at] = rng.choice([b"[", b"{", b"]", b":", b"- ", b"&a ", b"*a", b"\t", b"\x00",
                                      b"\xff", b"'", b'"', b"\n  ", b"? ", b"!!", b"%", b"<<: "])
        elif op < 0.8:
            text[at:at] = text[at:at + rng.randint(1, 200)]
        else:
            del text[at:]
    return "text", "yaml", bytes(text)


def alias_bomb(rng: random.Random) -> Case:
    fan, levels = rng.randint(2, 12), rng.randint(4, 14)
    lines = ["title: T", "l0: &l0 [" + ", ".join(["lol"] * fan) + "]"]
    for n in range(1, levels):
        lines.append(f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * fan) + "]")
    where = rng.choice(["scenes", "style: {traits", "characters: {a: {props", "x"])
    close = "}" * where.count("{")
    lines.append(f"{where}: *l{levels - 1}{close}" if where != "x" else f"x: *l{levels - 1}")
    return "alias-bomb", "yaml", "\n".join(lines).encode()


def recursive_alias(rng: random.Random) -> Case:
    text = rng.choice([
        "title: &t [a, *t]\n",
        "scenes: &s\n  - id: a\n    environment: e\n    shots: *s\n",
        "characters: &c {a: {name: A, voice: *c}}\n",
        "style: &x {traits: [[*x]]}\n",
        "title: T\nscenes: &s [{id: s, environment: room, shots: [{id: a, action: *s}]}]\n",
    ])
    return "recursive-alias", "yaml", text.encode()


def deep(rng: random.Random) -> Case:
    depth = rng.choice([33, 40, 100, 999, 1001, 5000, 30000])
    kind = rng.choice(["yaml", "json", "toml", "yaml-block"])
    if kind == "json":
        return "deep", "json", ('{"title": "T", "scenes": ' + "[" * depth + "]" * depth + "}").encode()
    if kind == "toml":
        return "deep", "toml", ('title = "T"\nscenes = ' + "[" * depth + "]" * depth + "\n").encode()
    if kind == "yaml":
        return "deep", "yaml", ("title: T\nstyle: " + "{a: " * depth + "1" + "}" * depth + "\n").encode()
    depth = min(depth, 200)
    return "deep", "yaml", ("title: T\nscenes:\n" + "".join("  " * i + "- \n" for i in range(1, depth))).encode()


NUMERIC_KEYS = [(*SHOT, "duration"), (*SHOT, "transition_s"), (*SHOT, "seed"), ("defaults", "seed"),
                ("format", "fps"), ("characters", "mira", "voice", "rate"),
                ("characters", "mira", "voice", "pitch"), ("characters", "mira", "identity_threshold")]


def numbers(rng: random.Random) -> Case:
    kind = rng.choice(["yaml", "json", "toml"])
    data = BASE
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(NUMERIC_KEYS)
        if path[0] == "defaults":
            data = {**data, "defaults": {}}
        value = rng.choice([*EDGE_NUMBERS, 2**32, 2**32 - 1, -(2**31), 4.5, 10**19, -(10**400)])
        data = _set(data, path, value)
    return "numbers", kind, dump(data, kind).encode()


def frame_format(rng: random.Random) -> Case:
    ratio = rng.choice(["0:0", "16:0", "0:9", "16:9:4", "16:9", "9:16", "1:1000", "1000:1", "-16:9",
                        "16/9", "1e3:1", "9" * 400 + ":1", "0.0:1", ":", "16:", "x", ""])
    res = rng.choice(["720p", "1080p", "0x0", "100000x100000", "-2x-2", "axb", "9" * 5000 + "x1",
                      "4kp", "720P", "16x16", "8194x16"])
    data = _set(BASE, ("format",), {"aspect_ratio": ratio, "resolution": res, "fps": 24})
    kind = rng.choice(["yaml", "json"])
    return "format", kind, dump(data, kind).encode()


def odd_keys(rng: random.Random) -> Case:
    key = rng.choice(["1", "null", "~", "yes", "no", "on", "2024-01-01", "1.5", ".inf", "0x1f", "[a]", "{a: 1}"])
    text = BASE_TEXT
    spots = [("title: The Umbrella", "title: The Umbrella\n{k}: x"),
             ("    name: Mira", "    name: Mira\n    {k}: x"),
             ("        duration: 4\n", "        duration: 4\n        {k}: x\n")]
    old, new = rng.choice(spots)
    if key.startswith("["):
        new = new.replace("{k}: x", "? " + key + "\n" + " " * (len(new.split("\n")[-1]) - len(new.split("\n")[-1].lstrip())) + ": x")
    else:
        new = new.replace("{k}", key)
    return "keys", "yaml", text.replace(old, new, 1).encode()


REF_KINDS = ["url-file", "url-http", "url-s3", "data-uri", "nul", "long-part", "long-path",
             "loop", "link-out", "hard-link", "fifo", "giant", "wide", "missing", "outside", "absolute",
             "dir", "dev", "ok"]


def references(rng: random.Random) -> Case:
    refs = []
    for _ in range(rng.randint(1, 4)):
        k = rng.choice(REF_KINDS)
        refs.append({
            "url-file": "file:///etc/passwd", "url-http": "http://example.com/a.png",
            "url-s3": "s3://bucket/a.png", "data-uri": "data:image/png;base64,AAAA",
            "nul": "refs/a\x00.png", "long-part": "refs/" + "y" * rng.randint(256, 5000) + ".png",
            "long-path": "/".join(["d"] * rng.randint(600, 3000)) + "/a.png",
            "loop": "fixtures/loop1.png", "link-out": "fixtures/link-out.png",
            "hard-link": "fixtures/hard.png", "fifo": "fixtures/fifo.png", "giant": "fixtures/giant.png",
            "wide": "fixtures/wide.png", "missing": "refs/missing.png", "outside": "../../x.png",
            "absolute": "/etc/passwd", "dir": "fixtures", "dev": "/dev/zero", "ok": "refs/mira.png",
        }[k])
    where = rng.choice([("characters", "mira", "references"), ("environments", "cafe", "references"),
                        ("style", "references"), (*SHOT, "start_frame"), (*SHOT, "end_frame")])
    value: Any = refs if where[-1] == "references" else refs[0]
    data = _set(BASE, where, value) if where[0] != "style" else {**BASE, "style": {"references": refs}}
    kind = rng.choice(["yaml", "json"])
    return "references", kind, dump(data, kind).encode("utf-8")


def big_text(rng: random.Random) -> Case:
    size = rng.choice([20_001, 100_000, 300_000])
    choice = rng.random()
    if choice < 0.4:
        data = _set(BASE, (*SHOT, "action"), "x" * size)
    elif choice < 0.7:
        data = {**BASE, "k" * size: 1}
    else:
        data = _set(BASE, ("characters", "mira", "props"), ["p"] * (MAX_VALUES + 1))
    kind = rng.choice(["yaml", "json"])
    return "big", kind, dump(data, kind).encode()


FAMILIES: list[tuple[Callable[[random.Random], Case], int]] = [
    (mutate_value, 230), (mutate_text, 80), (alias_bomb, 25), (recursive_alias, 10), (deep, 30),
    (numbers, 45), (frame_format, 25), (odd_keys, 20), (references, 45), (big_text, 10),
]


def generate() -> list[Case]:
    rng = random.Random(SEED)
    return [make(rng) for make, count in FAMILIES for _ in range(count)]


CASES = generate()
LOCATED = r"(:\d+: \S|: [^\s:]+: \S)"


def test_the_suite_is_large_and_covers_every_family():
    assert len(CASES) >= 500
    assert {family for family, _, _ in CASES} == {
        "value", "text", "alias-bomb", "recursive-alias", "deep", "numbers", "format", "keys",
        "references", "big"}


# -- running -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A copy of the dialogue example plus every awkward file a reference can name."""
    root = tmp_path_factory.mktemp("fuzz")
    film = root / "a" / "film"
    shutil.copytree(EXAMPLES / "umbrella-dialogue", film)
    fx = film / "fixtures"
    fx.mkdir()
    (fx / "loop1.png").symlink_to("loop2.png")
    (fx / "loop2.png").symlink_to("loop1.png")
    secret = root / "secret.png"
    secret.write_bytes(_png_bytes(16, 9))
    (fx / "link-out.png").symlink_to(secret)
    os.link(secret, fx / "hard.png")
    os.mkfifo(fx / "fifo.png")
    (fx / "giant.png").write_bytes(_png_bytes(100_000, 100_000))
    (fx / "wide.png").write_bytes(_png_bytes(50_000, 1_000))
    return film


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"no answer within {HANG_S} s")


@pytest.fixture(scope="module")
def validate_json(folder) -> Callable[[Case, int], tuple[int, str, str]]:
    from ministudio.cli import main

    manager = make_manager()
    mp = pytest.MonkeyPatch()
    mp.setenv("MINISTUDIO_CONFIG", str(folder / "none.toml"))
    mp.setattr("ministudio.cli.AppState.manager", lambda self, project_dir=None: manager)

    def run(case: Case, index: int) -> tuple[int, str, str]:
        _family, kind, body = case
        path = folder / f"film-{index:03d}.{kind.split('-')[0]}"
        path.write_bytes(body)
        out, err = io.StringIO(), io.StringIO()
        code: Any = 0
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, HANG_S)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    main(["validate", "--json", str(path)])
                except SystemExit as exc:
                    code = exc.code or 0
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            path.unlink()
        return int(code), out.getvalue(), err.getvalue()

    yield run
    mp.undo()


def check(case: Case, name: str, code: int, out: str, err: str) -> None:
    family = case[0]
    assert "Traceback" not in out + err, (family, err)
    assert code in (0, 2), (family, code, out, err)
    doc = json.loads(out)  # exactly one JSON document, always
    assert doc["ok"] is (code == 0), doc
    if code == 2:
        assert doc["problems"], doc
    for line in doc["problems"]:
        assert "\n" not in line, (family, line)
        assert re.match(re.escape(name) + LOCATED, line), (family, line)


@pytest.mark.parametrize("index", range(len(CASES)), ids=lambda i: f"{CASES[i][0]}-{i}")
def test_every_generated_film_gets_a_clean_located_answer(validate_json, index):
    case = CASES[index]
    code, out, err = validate_json(case, index)
    check(case, f"film-{index:03d}.{case[1]}", code, out, err)


def test_known_families_are_refused(validate_json):
    """Not just "no crash": the dangerous families never validate."""
    for index, case in enumerate(CASES):
        if case[0] in ("alias-bomb", "recursive-alias", "deep", "keys", "big"):
            code, out, _ = validate_json(case, index)
            assert code == 2, (case[0], out)


def test_subprocess_sample(folder):
    """The real command, as a separate process, for one film of each family."""
    sample = {}
    for index, case in enumerate(CASES):
        sample.setdefault(case[0], (index, case))
    env = {**os.environ, "MINISTUDIO_CONFIG": str(folder / "none.toml")}
    for _family, (index, case) in sorted(sample.items()):
        name = f"film-sub-{index:03d}.{case[1]}"
        path = folder / name
        path.write_bytes(case[2])
        proc = subprocess.run(
            [sys.executable, "-m", "ministudio", "validate", "--json", str(path)],
            capture_output=True, text=True, timeout=60, env=env, check=False,
        )
        path.unlink()
        check(case, name, proc.returncode, proc.stdout, proc.stderr)
