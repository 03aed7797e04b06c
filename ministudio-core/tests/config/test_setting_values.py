"""Every setting is checked for type and range when settings load, before any work, with the
setting named (issue 14: ``--set render.concurrency=abc`` and ``--set media.crf=abc`` used to
end in a traceback, the second only after every shot was generated)."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import pytest
from ministudio.config import DEFAULTS, RULES, load_settings
from ministudio.errors import ConfigError
from ministudio.testing.fakes import FakeClipPlugin

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "films"


def problems(tmp_path: Path, *overrides: str, env: dict[str, str] | None = None,
             project: str | None = None) -> list[str]:
    if project is not None:
        (tmp_path / "ministudio.toml").write_text(project)
    with pytest.raises(ConfigError) as info:
        load_settings(project_dir=tmp_path, env=env or {}, user_config=tmp_path / "none.toml",
                      overrides=overrides)
    return list(info.value.problems)


@pytest.mark.parametrize("item,expected", [
    ("render.concurrency=abc", "render.concurrency: expected a whole number from 1 to 64, got text 'abc' (from --set)"),
    ("render.concurrency=0", "render.concurrency: expected a whole number from 1 to 64, got 0 (from --set)"),
    ("render.concurrency=2.5", "render.concurrency: expected a whole number from 1 to 64, got 2.5 (from --set)"),
    ("render.concurrency=true", "render.concurrency: expected a whole number from 1 to 64, got true (from --set)"),
    ("media.crf=abc", "media.crf: expected a whole number from 0 to 51, got text 'abc' (from --set)"),
    ("media.crf=99", "media.crf: expected a whole number from 0 to 51, got 99 (from --set)"),
    ("media.preset=fastest", "media.preset: expected one of ultrafast, superfast, veryfast, faster, "
     "fast, medium, slow, slower, veryslow, got text 'fastest' (from --set)"),
    ("render.max_cost=-1", "render.max_cost: expected a number of at least 0, got -1 (from --set)"),
    ("render.max_cost=nan", "render.max_cost: expected a number of at least 0, got nan (from --set)"),
    ("render.max_cost=lots", "render.max_cost: expected a number of at least 0, got text 'lots' (from --set)"),
    ("render.attempts=0", "render.attempts: expected a whole number from 1 to 20, got 0 (from --set)"),
    ("identity.threshold=1.5", "identity.threshold: expected a number from 0 to 1, got 1.5 (from --set)"),
    ("identity.gate_on_look=maybe", "identity.gate_on_look: expected true or false, got text 'maybe' (from --set)"),
    ("plugins.disabled=titlecard", "plugins.disabled: expected a list of names, e.g. [\"titlecard\"], "
     "got text 'titlecard' (from --set)"),
    ("defaults.provider=", "defaults.provider: expected a name (text), got text '' (from --set)"),
    ("render.concurency=2", "render.concurency: unknown setting (did you mean 'concurrency'?) (from --set)"),
    ("render=5", "render: expected a table of settings (concurrency, max_cost, attempts, early_chain, pick_duration_tolerance_s), got 5 (from --set)"),
    ("render.concurrency.x=1", "render.concurrency: expected a whole number from 1 to 64, got a table (from --set)"),
    ("=5", "--set '=5': expected KEY=VALUE with a dotted KEY, e.g. render.concurrency=2"),
    ("render..concurrency=5", "--set 'render..concurrency=5': expected KEY=VALUE with a dotted KEY, "
     "e.g. render.concurrency=2"),
    ("providers.vertex=1", "providers.vertex: expected a table, got 1 (from --set)"),
    ("pricing.vertex.veo=1", "pricing.vertex.veo: expected a table, got 1 (from --set)"),
])
def test_each_bad_override_is_one_line_naming_the_setting(tmp_path, item, expected):
    assert problems(tmp_path, item) == [expected]


def test_environment_and_project_values_name_their_source(tmp_path):
    found = problems(tmp_path, env={"MINISTUDIO__RENDER__CONCURRENCY": "many", "MINISTUDIO__": "x"},
                     project='[media]\ncrf = "20"\n')
    assert sorted(found) == [
        "MINISTUDIO__: expected MINISTUDIO__SECTION__KEY, e.g. MINISTUDIO__RENDER__CONCURRENCY",
        f"media.crf: expected a whole number from 0 to 51, got text '20' (from {tmp_path / 'ministudio.toml'})",
        "render.concurrency: expected a whole number from 1 to 64, got text 'many' "
        "(from MINISTUDIO__RENDER__CONCURRENCY)",
    ]


def test_good_values_pass_and_numeric_text_costs_are_accepted(tmp_path):
    s = load_settings(env={"MINISTUDIO__RENDER__MAX_COST": '"12.50"'}, user_config=tmp_path / "none",
                      overrides=["render.concurrency=64", "media.crf=0", "identity.threshold=0.6",
                                 'plugins.disabled=["titlecard"]', "providers.vertex.location=eu"])
    assert s.get("render.concurrency") == 64 and s.get("render.max_cost") == "12.50"


def test_every_built_in_setting_has_a_rule():
    keys = {f"{section}.{key}" for section, table in DEFAULTS.items() if table
            for key in table} | {k for k, v in DEFAULTS.items() if not v}
    assert keys == set(RULES)
    load_settings(env={}, user_config=Path("/nonexistent/none.toml"))  # the defaults pass


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """``ministudio ARGS`` in-process with a counting fake clip provider."""
    from ministudio.plugins import PluginManager

    clips = FakeClipPlugin(name="animatic")
    monkeypatch.setenv("MINISTUDIO_CONFIG", str(tmp_path / "none.toml"))

    def manager(self, project_dir=None):
        pm = PluginManager(load_entrypoints=False, env={})
        pm.register(clips, "animatic")
        return pm

    monkeypatch.setattr("ministudio.cli.AppState.manager", manager)

    def invoke(*args: str) -> tuple[int, str]:
        from ministudio.cli import main

        err = io.StringIO()
        code = 0
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as exc:
                code = int(exc.code or 0)
        return code, err.getvalue()

    invoke.clips = clips  # type: ignore[attr-defined]
    return invoke


@pytest.mark.parametrize("item,name", [("render.concurrency=abc", "render.concurrency"),
                                       ("media.crf=abc", "media.crf")])
def test_render_refuses_a_bad_setting_before_any_work(cli, tmp_path, item, name):
    film = tmp_path / "film"
    shutil.copytree(EXAMPLES / "tides-explainer", film)
    code, err = cli("--set", item, "render", str(film / "film.yaml"))
    assert code == 2, err
    assert "Traceback" not in err
    assert err.splitlines()[0] == "error: invalid settings"
    assert err.splitlines()[1].strip().startswith(f"{name}: expected a whole number")
    assert cli.clips.calls == 0  # type: ignore[attr-defined]
    assert not (film / ".ministudio").exists() and not (film / "out").exists()


def test_validate_json_reports_bad_settings_as_json(cli, tmp_path):
    import json

    from ministudio.cli import main

    film = tmp_path / "film"
    shutil.copytree(EXAMPLES / "tides-explainer", film)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        with pytest.raises(SystemExit) as exc:
            main(["--set", "render.concurrency=abc", "validate", "--json", str(film / "film.yaml")])
    assert exc.value.code == 2
    doc = json.loads(out.getvalue())
    assert doc["ok"] is False and doc["error"] == "invalid settings"
    assert doc["problems"] == ["render.concurrency: expected a whole number from 1 to 64, got text 'abc' (from --set)"]
