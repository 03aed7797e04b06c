"""Declared capabilities, prices, the settings-driven model list, and `providers show`."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from ministudio.capabilities import ReferenceRole
from ministudio.errors import ConfigError
from ministudio_vertex.models import CATALOGUE, configured_models, find_model


def test_catalogue_declares_veo_31_truthfully():
    assert list(CATALOGUE) == ["veo-3.1-generate-001", "veo-3.1-fast-generate-001",
                               "veo-3.1-lite-generate-001"]
    for m in CATALOGUE.values():
        assert m.durations == (4.0, 6.0, 8.0)
        assert m.aspect_ratios == ("16:9", "9:16")
        assert m.first_frame and m.native_audio and m.seed and m.negative_prompt
        assert m.references_with_frames is False and m.resumable is True
        assert m.max_candidates == 4 and m.fps == (24,)
        assert m.pricing.per_second > 0 and m.pricing.as_of and m.pricing.source
    std = CATALOGUE["veo-3.1-generate-001"]
    assert std.max_reference_images == 3 and std.reference_roles == (ReferenceRole.SUBJECT,)
    assert std.last_frame and std.extension_s == 7.0
    assert std.pricing.estimate(seconds=8) == Decimal("3.20")
    lite = CATALOGUE["veo-3.1-lite-generate-001"]
    assert lite.max_reference_images == 0 and lite.extension_s is None


def test_settings_choose_and_adjust_models():
    models = configured_models({
        "models": ["veo-3.1-fast-generate-001", "veo-3.1-fast-generate-preview"],
        "capabilities": {"veo-3.1-fast-generate-preview": {"max_reference_images": 1},
                         "veo-3.1-fast-generate-001": {"requests_per_minute": 50}},
    })
    assert [m.id for m in models] == ["veo-3.1-fast-generate-001", "veo-3.1-fast-generate-preview"]
    assert models[0].requests_per_minute == 50
    assert models[1].max_reference_images == 1
    assert models[1].pricing == CATALOGUE["veo-3.1-fast-generate-001"].pricing
    assert "assumed from veo-3.1-fast-generate-001" in models[1].notes
    liked = configured_models({"models": ["my-veo"], "capabilities": {"my-veo": {"like": "veo-3.1-lite-generate-001"}}})
    assert liked[0].resolutions == ("720p", "1080p")
    assert find_model(None, {}).id == "veo-3.1-generate-001"


def test_bad_capability_settings_are_config_errors():
    with pytest.raises(ConfigError, match="unknown model"):
        configured_models({"models": ["x"], "capabilities": {"x": {"like": "veo-9"}}})
    with pytest.raises(ConfigError):
        configured_models({"capabilities": {"veo-3.1-generate-001": {"max_reference_images": "many"}}})


def test_registration_reads_the_project_settings(tmp_path, monkeypatch):
    import ministudio_vertex.plugin as plugin

    (tmp_path / "ministudio.toml").write_text(
        '[providers.vertex]\nmodels = ["veo-3.1-lite-generate-001"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MINISTUDIO_CONFIG", str(tmp_path / "none.toml"))
    (spec,) = plugin.register_providers()
    assert [m.id for m in spec.clip_models] == ["veo-3.1-lite-generate-001"]
    assert spec.default_model == "veo-3.1-lite-generate-001"


def _cli(args, tmp_path, monkeypatch):
    from ministudio.cli import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MINISTUDIO_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("MINISTUDIO_LOAD_PLUGINS", "vertex")
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_providers_show_vertex(tmp_path, monkeypatch):
    """Acceptance 1 (needs the package installed so its entry point is found)."""
    from importlib.metadata import entry_points

    if not any(ep.name == "vertex" for ep in entry_points(group="ministudio")):
        pytest.skip("ministudio-vertex is not installed (entry point missing)")
    out = _cli(["providers", "show", "vertex"], tmp_path, monkeypatch)
    assert out.exit_code == 0, out.output
    text = out.output
    for needle in ("veo-3.1-generate-001", "veo-3.1-fast-generate-001", "veo-3.1-lite-generate-001",
                   "durations: 4.0, 6.0, 8.0", "aspect_ratios: 16:9, 9:16", "max_reference_images: 3",
                   "first_frame: True", "last_frame: True", "native_audio: True",
                   "0.40 USD per second", "as of 2026-11-25"):
        assert needle in text, needle
    data = json.loads(_cli(["providers", "show", "vertex", "--json"], tmp_path, monkeypatch).output)
    assert [m["id"] for m in data["models"]] == list(CATALOGUE)
    assert data["models"][0]["pricing"]["per_second"] == "0.40"
