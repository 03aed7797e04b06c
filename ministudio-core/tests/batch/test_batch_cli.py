"""``ministudio batch`` through the command, executors as plugins, and the lazy imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from batch_helpers import tiny_films
from ministudio.batch.executors import MissingExtraError, find_executor, require
from ministudio.hookspecs import PLUGIN_API, hookimpl
from ministudio.plugins import PluginManager


def ministudio(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ministudio", *args], capture_output=True,
                          text=True, cwd=cwd, env=os.environ.copy(), timeout=600)


def test_batch_command_json_summary_and_exit_status(tmp_path):
    films = tiny_films(tmp_path, 3)
    for film in films:
        film.write_text(film.read_text().replace("provider: fake", "provider: animatic"))
    manifest = tmp_path / "batch.yaml"
    manifest.write_text("films:\n  - film: film1/film.yaml\n  - film: film2/film.yaml\n"
                        "  - {film: film3/film.yaml, provider: no-such-provider}\n")
    proc = ministudio("batch", str(manifest), "--json", "--out", str(tmp_path / "renders"))
    assert proc.returncode == 1, proc.stderr[-2000:]
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    done = events[-1]
    assert done["event"] == "batch.done" and (done["done"], done["failed"]) == (2, 1)
    by_name = {f["film"]: f for f in done["films"]}
    assert "no-such-provider" in by_name["film3"]["reason"]
    assert (tmp_path / "renders" / "film1" / "manifest.json").is_file()

    again = ministudio("batch", str(tmp_path / "film1"), str(tmp_path / "film2"),
                       "--out", str(tmp_path / "renders"))
    assert again.returncode == 0, again.stderr[-2000:]
    assert "2 done, 0 failed, 0 skipped" in again.stdout


def test_a_bad_budget_is_refused_before_anything_runs(tmp_path):
    film = tiny_films(tmp_path, 1)[0]
    film.write_text(film.read_text().replace("provider: fake", "provider: nosuch"))
    proc = ministudio("batch", str(tmp_path), "--max-cost", "abc")
    assert proc.returncode == 2 and "is not an amount" in proc.stderr


def test_core_offers_local_dask_and_ray():
    specs = PluginManager(load_entrypoints=False, env={}).executors()
    assert {"local", "dask", "ray"} <= set(specs)
    assert all(specs[n].plugin == "core" for n in ("local", "dask", "ray"))
    spec, address = find_executor(specs, "dask://scheduler:8786")
    assert (spec.name, address) == ("dask", "scheduler:8786")
    with pytest.raises(Exception, match="no executor named 'slurm'"):
        find_executor(specs, "slurm")


class _Broken:
    MINISTUDIO_PLUGIN_API = PLUGIN_API

    @hookimpl
    def register_executors(self):
        raise RuntimeError("boom")


class _Mine:
    MINISTUDIO_PLUGIN_API = PLUGIN_API

    @hookimpl
    def register_executors(self):
        from ministudio.batch.executors import ExecutorSpec
        from ministudio.batch.executors.local import LocalExecutor

        yield ExecutorSpec(name="mine", factory=lambda a, **kw: LocalExecutor(a, **kw))
        yield ExecutorSpec(name="local", factory=lambda a, **kw: None)  # taken: ignored


def test_a_plugin_offers_an_executor_and_a_raising_one_loses_only_its_own(tmp_path):
    pm = PluginManager(load_entrypoints=False, env={})
    pm.register(_Broken(), "broken")
    pm.register(_Mine(), "mine")
    specs = pm.executors()
    assert specs["mine"].plugin == "mine" and specs["local"].plugin == "core"
    assert specs["mine"].factory(None, slots=3).slots == 3


def test_a_missing_extra_names_the_install_command():
    with pytest.raises(MissingExtraError) as err:
        require("ministudio_no_such_module", "dask")
    assert "pip install 'ministudio-core[dask]'" in err.value.hint


def test_listing_executors_imports_no_dask_ray_or_fsspec():
    code = ("import sys; from ministudio.plugins import PluginManager; "
            "import ministudio.batch, ministudio.cli.batch; "
            "PluginManager().executors(); "
            "print([m for m in ('dask', 'distributed', 'ray', 'fsspec', 's3fs') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
