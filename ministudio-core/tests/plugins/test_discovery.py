"""Discovery survives broken plugins (acceptance: issue 3 §2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ministudio.plugins import PluginManager

pytestmark = pytest.mark.filterwarnings("ignore")


def _cli(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(site), **env}
    for key in ("MINISTUDIO_LOAD_PLUGINS", "MINISTUDIO_DISABLE_PLUGINS", "MINISTUDIO_STRICT_PLUGINS"):
        if key not in env:
            full_env.pop(key, None)
    return subprocess.run(
        [sys.executable, "-m", "ministudio", *args], capture_output=True, text=True,
        env=full_env, timeout=120,
    )


def _by_name(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in rows:
        out.setdefault(row["name"], []).append(row)
    return out


def test_list_json_reports_every_broken_plugin_and_exits_0(site: Path) -> None:
    proc = _cli(site, "providers", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = _by_name(json.loads(proc.stdout))
    assert rows["goodcam"][0]["status"] == "active"
    assert rows["goodcam"][0]["package"] == "ms-good"

    failed = rows["ms_import_fails"][0]
    assert failed["status"] == "failed"
    assert "not_a_real_module_xyz" in failed["note"]
    assert failed["package"] == "ms-import-fails" and failed["version"] == "1.0.0"
    assert "MINISTUDIO_DISABLE_PLUGINS=ms_import_fails" in failed["hint"]

    raised = rows["ms_raises"][0]
    assert raised["status"] == "failed" and "registration exploded" in raised["note"]

    dups = rows["dupcam"]
    assert {r["status"] for r in dups} == {"failed"} and len(dups) == 2
    for row in dups:  # both sources are named
        assert "ms-dup-a 1.0.0" in row["note"] and "ms-dup-b 2.0.0" in row["note"]

    assert rows["ms_old_api"][0]["status"] == "incompatible"
    assert "99" in rows["ms_old_api"][0]["note"]
    future = rows["ms_future"][0]
    assert future["status"] == "incompatible" and ">=9.0" in future["note"]


def test_table_output_and_debug_traceback(site: Path) -> None:
    proc = _cli(site, "providers", "list")
    assert proc.returncode == 0
    assert "goodcam" in proc.stdout and "incompatible" in proc.stdout
    assert "Traceback" not in proc.stderr
    debug = _cli(site, "--debug", "providers", "list")
    assert debug.returncode == 0
    assert "Traceback" in debug.stderr and "not_a_real_module_xyz" in debug.stderr


def test_strict_mode_exits_non_zero(site: Path) -> None:
    proc = _cli(site, "providers", "list", MINISTUDIO_STRICT_PLUGINS="1")
    assert proc.returncode == 1
    assert "strict" in proc.stderr and "ms_import_fails" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_allowlist_and_blocklist(site: Path) -> None:
    only = json.loads(_cli(site, "providers", "list", "--json",
                           MINISTUDIO_LOAD_PLUGINS="ms_good").stdout)
    statuses = {r["name"]: r["status"] for r in only}
    assert statuses["goodcam"] == "active"
    assert statuses["ms_import_fails"] == "disabled"
    blocked = json.loads(_cli(site, "providers", "list", "--json",
                              MINISTUDIO_DISABLE_PLUGINS="ms-dup-b,ms_import_fails").stdout)
    statuses = {(r["name"], r["package"]): r["status"] for r in blocked}
    assert statuses[("dupcam", "ms-dup-a")] == "active"  # conflict gone once one is disabled
    assert statuses[("ms_dup_b", "ms-dup-b")] == "disabled"
    assert statuses[("ms_import_fails", "ms-import-fails")] == "disabled"
    none = json.loads(_cli(site, "providers", "list", "--json", MINISTUDIO_LOAD_PLUGINS="").stdout)
    assert all(r["status"] == "disabled" for r in none if r["package"] and r["package"].startswith("ms-"))


def test_show_unusable_provider_explains(site: Path) -> None:
    proc = _cli(site, "providers", "show", "dupcam")
    assert proc.returncode == 2
    assert "ms-dup-a" in proc.stderr and "ms-dup-b" in proc.stderr


def test_in_process_manager_keeps_working(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(site))
    manager = PluginManager(env={})
    assert "goodcam" in [s.name for s in manager.providers()]
    assert manager.get_provider("goodcam").plugin == "ms_good"
    assert len(manager.problems()) >= 5
