"""What a third-party plugin author (a Kling provider, written from the docs alone) stumbled
on: a missing MINISTUDIO_PLUGIN_API, settings a plugin could not declare, one price per model,
AuthSpec semantics, and `providers show` fields nobody explained."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ministudio import hookimpl
from ministudio.capabilities import (
    AuthSpec,
    ClipModel,
    Operation,
    PriceRule,
    Pricing,
    ProviderSpec,
    Setting,
)
from ministudio.config import load_settings
from ministudio.plugins import PluginManager, Status
from ministudio.pricing import effective_pricing, estimate_cost
from ministudio.requests import ClipRequest, SpeechRequest
from ministudio.testing.distributions import add_distribution

REPO = Path(__file__).resolve().parents[3]

KLING = '''
from datetime import date
from decimal import Decimal
from pathlib import Path
from ministudio import AuthSpec, ClipModel, Operation, PriceRule, Pricing, ProviderSpec, Setting, hookimpl
MINISTUDIO_PLUGIN_API = 1
CALLS = Path(__file__).with_name("kling-calls.txt")

@hookimpl
def register_providers():
    yield ProviderSpec(
        name="kling", operations={Operation.CLIP},
        clip_models=(ClipModel(id="kling-2", durations=(5, 10), resolutions=("720p", "1080p"),
                               pricing=Pricing(per_second=Decimal("0.07"), as_of=date(2026, 11, 1),
                                               rules=(PriceRule(resolution="1080p",
                                                                per_second=Decimal("0.12")),))),),
        auth=AuthSpec(env_vars=("KLING_ACCESS_KEY", "KLING_SECRET_KEY")),
        settings=(Setting(name="model_version", default="2.1"),
                  Setting(name="mode", default="std", choices=("std", "pro")),
                  Setting(name="poll_s", type="float", default=5.0)),
    )

@hookimpl
def generate_clip(request, context):
    with open(CALLS, "a") as fh:
        fh.write(request.shot_id + "\\n")
    raise RuntimeError("the test never gets this far")
'''

FILM = """
title: Kling Test
format: {aspect_ratio: "16:9", resolution: 1080p, fps: 24}
defaults: {provider: kling}
environments:
  lab: {description: a small lab}
scenes:
  - id: one
    environment: lab
    shots:
      - {id: a, action: A lamp., duration: 5}
      - {id: b, action: A desk., duration: 10}
"""


@pytest.fixture(scope="module")
def kling_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("kling-site")
    add_distribution(site, "ministudio-kling", "ministudio_kling", KLING)
    return site


def _cli(site: Path, cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(site), "MINISTUDIO_LOAD_PLUGINS": "ministudio-kling",
            "MINISTUDIO_CONFIG": str(cwd / "no-user-config.toml"), **env}
    full.pop("MINISTUDIO_STRICT_PLUGINS", None)
    return subprocess.run([sys.executable, "-m", "ministudio", *args], capture_output=True,
                          text=True, cwd=cwd, env=full, timeout=300)


# -- item 20: a missing MINISTUDIO_PLUGIN_API is named as missing ---------------------------


def test_a_plugin_without_the_api_marker_is_told_it_is_missing() -> None:
    module = types.ModuleType("ministudio_forgot")

    @hookimpl
    def register_providers():  # pragma: no cover - never called
        return []

    module.register_providers = register_providers  # type: ignore[attr-defined]
    pm = PluginManager(load_entrypoints=False, env={})
    record = pm.register(module, "forgot")
    assert record.status == Status.INCOMPATIBLE
    assert "does not set MINISTUDIO_PLUGIN_API" in record.reason
    assert "None" not in record.reason
    assert "MINISTUDIO_PLUGIN_API = 1" in record.hint and "ministudio_forgot" in record.hint


def test_a_wrong_api_value_still_names_the_value() -> None:
    module = types.ModuleType("ministudio_old")
    module.MINISTUDIO_PLUGIN_API = None  # type: ignore[attr-defined]
    record = PluginManager(load_entrypoints=False, env={}).register(module, "old")
    assert record.status == Status.INCOMPATIBLE and "built for plugin API None" in record.reason


# -- item 21: declared settings, checked before any work -------------------------------------


def test_setting_values_are_checked_by_type_and_choice() -> None:
    assert Setting(name="n", type="int").problem(True) == "expected an integer, got True"
    assert Setting(name="x", type="float").problem(3) is None  # an int is a number
    assert Setting(name="m", choices=("std", "pro")).problem("max") == \
        "'max' is not one of 'std', 'pro'"
    assert Setting(name="t", type="table").problem({"a": 1}) is None
    with pytest.raises(ValueError, match="type 'number' is not one of"):
        Setting(name="bad", type="number")


def test_undeclared_settings_are_not_checked_but_declared_ones_are() -> None:
    old = ProviderSpec(name="old", operations={Operation.CLIP}, clip_models=(ClipModel(id="m"),))
    assert old.setting_problems({"anything": 1}) == []
    none = ProviderSpec(name="none", operations={Operation.CLIP}, clip_models=(ClipModel(id="m"),),
                        settings=())
    # core's own keys are always known; everything else is a typo
    assert none.setting_problems({"timeout_s": 30, "http_timeout_s": 5}) == []
    assert none.setting_problems({"timeout": 30}) == [
        ("timeout", "not a setting of none; did you mean 'timeout_s'?")]
    assert none.setting_problems({"zzz": 1})[0][1].startswith("not a setting of none (known: ")


def test_a_settings_typo_is_a_located_error_before_any_work(kling_site: Path,
                                                            tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text(FILM)
    (tmp_path / "ministudio.toml").write_text(
        '[providers.kling]\nmodel_versoin = "2.1"\nmode = "max"\npoll_s = "soon"\n')
    checked = _cli(kling_site, tmp_path, "validate", "film.yaml")
    assert checked.returncode == 2, checked.stdout + checked.stderr
    toml = str(tmp_path / "ministudio.toml")
    assert f"{toml}: [providers.kling] model_versoin: not a setting of kling; did you mean " \
           "'model_version'?" in checked.stderr
    assert f"{toml}: [providers.kling] mode: 'max' is not one of 'std', 'pro'" in checked.stderr
    assert f"{toml}: [providers.kling] poll_s: expected a number, got 'soon'" in checked.stderr
    rendered = _cli(kling_site, tmp_path, "render", "film.yaml", "--out", "out",
                    KLING_ACCESS_KEY="a", KLING_SECRET_KEY="b")
    assert rendered.returncode == 2, rendered.stderr
    assert "model_versoin" in rendered.stderr
    assert not (kling_site / "kling-calls.txt").exists(), "render started work"
    # the environment layer is located too
    (tmp_path / "ministudio.toml").unlink()
    env = _cli(kling_site, tmp_path, "validate", "film.yaml",
               MINISTUDIO__PROVIDERS__KLING__MOED="pro")
    assert env.returncode == 2 and "environment: [providers.kling] moed: not a setting of " \
           "kling; did you mean 'mode'?" in env.stderr


# -- item 19: `providers show` explains settings and shows a discrete model's real range ---


def test_providers_show_lists_declared_settings_and_the_real_duration_range(
        kling_site: Path, tmp_path: Path) -> None:
    (tmp_path / "ministudio.toml").write_text('[providers.kling]\nmode = "pro"\nmoed = 1\n')
    shown = _cli(kling_site, tmp_path, "providers", "show", "kling")
    assert shown.returncode == 0, shown.stderr
    assert "max_duration_s: 8.0" not in shown.stdout and "durations: 5, 10" in shown.stdout
    assert "max_duration_s: 10\n" in shown.stdout
    assert "  mode (str; default 'std'; one of std, pro; set in " in shown.stdout
    assert "moed: set in " in shown.stdout and "did you mean 'mode'?" in shown.stdout
    assert "at 1080p: 0.12 USD per second" in shown.stdout
    data = json.loads(_cli(kling_site, tmp_path, "providers", "show", "kling", "--json").stdout)
    assert data["settings_declared"] is True
    rows = {r["name"]: r for r in data["settings"]}
    assert rows["mode"]["set"] is True and rows["mode"]["default"] == "std"
    assert rows["moed"]["declared"] is False and "did you mean" in rows["moed"]["problem"]
    assert "timeout_s" in rows  # core's own keys are listed too
    model = data["models"][0]
    assert (model["min_duration_s"], model["max_duration_s"]) == (5.0, 10.0)
    # every field of a settings row and of the document is explained in the hook reference
    doc = (REPO / "docs" / "hooks.md").read_text()
    for key in [*rows["mode"], *data]:
        assert f"`{key}`" in doc, f"docs/hooks.md does not explain `{key}`"


# -- item 22: prices that depend on the request ----------------------------------------------


KLING_PRICE = Pricing(per_second=Decimal("0.07"), as_of=date(2026, 11, 1), rules=(
    PriceRule(resolution="1080p", per_second=Decimal("0.12")),
    PriceRule(audio=True, per_second=Decimal("0.10")),
    PriceRule(resolution="1080p", audio=True, per_second=Decimal("0.15")),
))


def _clip(**kw) -> ClipRequest:
    base = dict(provider="kling", model="kling-2", prompt="a lamp", duration_s=5.0,
                aspect_ratio="16:9", resolution="720p", fps=24, generate_audio=False)
    return ClipRequest(**{**base, **kw})


def test_the_most_specific_rule_prices_a_request() -> None:
    assert KLING_PRICE.estimate_request(_clip()) == Decimal("0.35")
    assert KLING_PRICE.estimate_request(_clip(resolution="1080p")) == Decimal("0.60")
    assert KLING_PRICE.estimate_request(_clip(generate_audio=True)) == Decimal("0.50")
    assert KLING_PRICE.estimate_request(_clip(resolution="1080p", generate_audio=True)) == \
        Decimal("0.75")
    # existing callers keep the base price
    assert KLING_PRICE.estimate(seconds=5.0) == Decimal("0.35")
    assert estimate_cost(KLING_PRICE, request=_clip(resolution="1080p")) == Decimal("0.60")
    speech = Pricing(per_million_chars=Decimal("16"))
    assert speech.estimate_request(SpeechRequest(provider="g", text="x" * 1000)) == \
        Decimal("0.016")


def test_a_users_override_can_replace_the_rules() -> None:
    over = effective_pricing("kling", "kling-2", KLING_PRICE, {"kling": {"kling-2": {
        "rules": [{"resolution": "1080p", "per_second": "0.20"}]}}})
    assert over is not None and over.source == ""
    assert over.estimate_request(_clip(resolution="1080p")) == Decimal("1.00")
    assert over.estimate_request(_clip(generate_audio=True)) == Decimal("0.35")


def test_the_plan_estimate_uses_the_films_resolution(kling_site: Path, tmp_path: Path) -> None:
    (tmp_path / "film.yaml").write_text(FILM)
    planned = _cli(kling_site, tmp_path, "plan", "film.yaml", "--json")
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert [Decimal(c["estimated_cost"]) for c in plan["clips"]] == [Decimal("0.60"),
                                                                     Decimal("1.20")]  # 1080p
    assert Decimal(plan["estimated_cost"]) == Decimal("1.80")
    (tmp_path / "film.yaml").write_text(FILM.replace("1080p", "720p"))
    plan = json.loads(_cli(kling_site, tmp_path, "plan", "film.yaml", "--json").stdout)
    assert Decimal(plan["estimated_cost"]) == Decimal("1.05")


# -- item 18: AuthSpec says what it means -----------------------------------------------------


def test_authspec_lists_required_variables_and_has_no_phantom_field() -> None:
    doc = AuthSpec.__doc__ or ""
    assert "any_of" not in doc and "every" in doc
    assert "any_of" not in {a.name for a in AuthSpec.__attrs_attrs__}
    kling = AuthSpec(env_vars=("KLING_ACCESS_KEY", "KLING_SECRET_KEY"))
    assert kling.missing({"KLING_ACCESS_KEY": "a"}) == ("KLING_SECRET_KEY",)
    assert kling.missing({"KLING_ACCESS_KEY": "a", "KLING_SECRET_KEY": "b"}) == ()
    assert AuthSpec(env_vars=("A", "B"), optional=True).missing({}) == ()
    for page in ("hooks.md", "plugin-tutorial.md"):
        text = (REPO / "docs" / page).read_text()
        assert "any_of" not in text
        assert "KLING_SECRET_KEY" in text, f"docs/{page} shows no two-variable AuthSpec"


def test_first_party_providers_declare_their_settings() -> None:
    settings = load_settings(env={}, user_config=Path("/nonexistent/none.toml"))
    manager = PluginManager(env={"MINISTUDIO_CONFIG": "/nonexistent/none.toml"})
    installed = {s.name for s in manager.providers()}
    for name in {"vertex", "hf", "animatic", "piper", "espeak", "google", "openai", "look",
                 "last-frame"} & installed:
        assert manager.get_provider(name).settings is not None, f"{name} declares no settings"
    assert manager.settings_problems(settings) == []


def test_the_register_providers_docstring_example_runs_and_registers() -> None:
    import textwrap

    from ministudio import hookspecs

    code = textwrap.dedent((hookspecs.register_providers.__doc__ or "").split("Example::", 1)[1])
    plugin = types.ModuleType("docstring_kling")
    plugin.MINISTUDIO_PLUGIN_API = hookspecs.PLUGIN_API  # type: ignore[attr-defined]
    exec(code, plugin.__dict__)  # noqa: S102 - our own documentation
    pm = PluginManager(load_entrypoints=False, env={})
    assert pm.register(plugin, "kling").status == Status.ACTIVE
    spec = pm.get_provider("kling")
    assert spec.auth.env_vars == ("KLING_ACCESS_KEY", "KLING_SECRET_KEY")
    assert spec.setting_problems({"mode": "max"}) == [("mode", "'max' is not one of 'std', 'pro'")]
