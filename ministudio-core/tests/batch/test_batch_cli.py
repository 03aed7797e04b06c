"""``ministudio batch`` through the command, executors as plugins, and the lazy imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
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


PAID_PLUGIN = """
from datetime import date
from decimal import Decimal

import attrs

from ministudio.capabilities import Pricing
from ministudio.testing.fakes import FakeClipPlugin

MINISTUDIO_PLUGIN_API = 1
_plugin = FakeClipPlugin(name="paidfake")
_plugin.model = attrs.evolve(_plugin.model, pricing=Pricing(
    per_second=Decimal("0.50"), as_of=date(2026, 1, 1), source="test"))
register_providers = _plugin.register_providers
generate_clip = _plugin.generate_clip
"""


def test_a_paid_batch_asks_for_a_budget_and_the_budget_bounds_it(tmp_path):
    from ministudio.testing.distributions import add_distribution

    site = tmp_path / "site"
    add_distribution(site, "ministudio-paidfake", "ministudio_paidfake", PAID_PLUGIN)
    films = tiny_films(tmp_path / "films", 2)  # each estimated 2 s x 0.50 = 1.00
    for film in films:
        film.write_text(film.read_text().replace("provider: fake", "provider: paidfake"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get(
        "PYTHONPATH", "")])}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ministudio", "batch", *args],
                              capture_output=True, text=True, env=env, timeout=600,
                              stdin=subprocess.DEVNULL)

    planned = run(str(tmp_path / "films"), "--dry-run")
    assert planned.returncode == 0, planned.stderr
    assert "estimated cost: 2.00 USD for 2 films" in planned.stdout
    assert "film1                    1.00 USD" in planned.stdout

    refused = run(str(tmp_path / "films"))
    assert refused.returncode == 2, refused.stderr
    assert "estimated at 2.00 USD" in refused.stderr and "--max-cost" in refused.stderr
    assert not any((f.parent / "out").exists() for f in films)  # nothing was rendered

    capped = run(str(tmp_path / "films"), "--max-cost", "1.50", "--json")
    assert capped.returncode == 1
    done = json.loads(capped.stdout.splitlines()[-1])
    assert sorted(f["status"] for f in done["films"]) == ["done", "skipped"]
    assert Decimal(done["cost"]) == Decimal("1.00") and done["max_cost"] == "1.50"

    rest = run(str(tmp_path / "films"), "--yes")
    assert rest.returncode == 0, rest.stderr[-2000:]
    assert "2 done, 0 failed, 0 skipped" in rest.stdout
