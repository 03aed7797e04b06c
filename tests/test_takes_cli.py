"""``ministudio takes FILM SHOT``: the table at 80 columns, ``--json``, ``--pick`` (the next
render uses the take, no provider call for it) and ``--unpick``, on the offline example."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MINISTUDIO_CONFIG": str(REPO / "no-such-config.toml"),
           "COLUMNS": "80"}
    res = subprocess.run([sys.executable, "-m", "ministudio", *args], cwd=folder, env=env,
                         capture_output=True, text=True, timeout=300)
    assert not check or res.returncode == 0, res.stderr[-3000:]
    return res


def test_list_pick_render_unpick(tmp_path: Path, init_film) -> None:
    film = init_film(tmp_path / "a")
    folder = film.parent
    none = _run(folder, "takes", "film.yaml", "hello.wave", check=False)
    assert none.returncode == 2 and "not been rendered" in none.stderr
    _run(folder, "render", "film.yaml", "--yes")
    _run(folder, "render", "film.yaml", "--yes", "--force", "hello.wave")

    listed = json.loads(_run(folder, "takes", "film.yaml", "hello.wave", "--json").stdout)
    new, old = listed["takes"]
    assert new["kept"] and not old["kept"] and not new["picked"] and not old["picked"]
    assert old["current"]  # only the narration's length moved: the take still fits
    assert old["identity"]["pip"]["kind"] == "face"
    table = _run(folder, "takes", "film.yaml", "hello.wave").stdout.splitlines()
    assert table[0].split() == ["take", "made", "seed", "cost", "state", "identity"]
    assert all(len(line) <= 80 for line in table)
    assert table[1].split()[0] == str(new["attempt"]) and "kept" in table[1]
    assert table[2].split()[0] == str(old["attempt"]) and "Pip" in table[2]

    bad = _run(folder, "takes", "film.yaml", "hello.wave", "--pick", "999", check=False)
    assert bad.returncode == 2 and "no take 999" in bad.stderr
    picked = _run(folder, "takes", "film.yaml", "hello.wave", "--pick", str(old["attempt"]))
    assert f"take {old['attempt']} picked" in picked.stdout
    assert "hello.chart" in picked.stdout  # it continues from the picked shot
    state = json.loads(_run(folder, "takes", "film.yaml", "hello.wave", "--json").stdout)
    assert [t["picked"] for t in state["takes"]] == [False, True]

    events = [json.loads(line) for line in _run(
        folder, "render", "film.yaml", "--yes", "--json").stdout.splitlines()]
    assert {"event": "pick", "shot": "hello.wave", "state": "used",
            "attempt": old["attempt"]}.items() <= next(
        e for e in events if e["event"] == "pick").items()
    manifest = json.loads((folder / "out" / "film" / "manifest.json").read_text())
    wave = manifest["shots"][0]
    assert wave["take"] == {"attempt": old["attempt"], "picked": True}
    assert wave["attempts"] == [] and wave["clip_sha256"] == Path(old["media"]).stem
    assert f"picked take {old['attempt']}" in (folder / "out" / "film" / "report.html"
                                               ).read_text()
    after = json.loads(_run(folder, "takes", "film.yaml", "hello.wave", "--json").stdout)
    assert [(t["kept"], t["picked"]) for t in after["takes"]] == [(False, False), (True, True)]

    unpicked = json.loads(_run(folder, "takes", "film.yaml", "hello.wave", "--unpick",
                               "--json").stdout)
    assert unpicked["picked"] is None and unpicked["unpicked"] is True
    assert unpicked["regenerates"] == ["hello.chart"]
    _run(folder, "render", "film.yaml", "--yes")
    manifest = json.loads((folder / "out" / "film" / "manifest.json").read_text())
    assert manifest["shots"][0]["take"] == {"attempt": new["attempt"], "picked": False}
