from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ministudio.capabilities import ClipModel, Operation, Pricing, ProviderSpec, ReferenceRole, SpeechModel
from ministudio.config import load_settings
from ministudio.hookspecs import PLUGIN_API, hookimpl
from ministudio.plugins import PluginManager
from ministudio.testing.fakes import FakeClipPlugin

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples" / "films"

VEO_LIKE = ClipModel(
    id="veo-like", durations=(4, 6, 8), aspect_ratios=("16:9", "9:16"), resolutions=("720p",),
    fps=(24,), max_reference_images=3, reference_roles=(ReferenceRole.SUBJECT,),
    references_with_frames=False, first_frame=True, last_frame=True, native_audio=True,
    max_prompt_chars=600, pricing=Pricing(per_second=__import__("decimal").Decimal("0.40")),
)


class FakeSpeechPlugin:
    """Declares a speech provider (planning only needs the declaration)."""

    MINISTUDIO_PLUGIN_API = PLUGIN_API

    def __init__(self, name: str = "piper") -> None:
        self.name = name

    @hookimpl
    def register_providers(self) -> list[ProviderSpec]:
        return [ProviderSpec(name=self.name, operations={Operation.SPEECH},
                             speech_models=(SpeechModel(id="voice-1", languages=("en-US",)),))]


def make_manager(**clip_models: ClipModel) -> PluginManager:
    pm = PluginManager(load_entrypoints=False, env={})
    pm.register(FakeClipPlugin(name="animatic"), "animatic")
    for name, model in clip_models.items():
        pm.register(FakeClipPlugin(name=name, model=model), name)
    pm.register(FakeSpeechPlugin(), "piper")
    return pm


@pytest.fixture
def manager() -> PluginManager:
    return make_manager(veo=VEO_LIKE)


@pytest.fixture
def settings(tmp_path):
    return load_settings(env={}, user_config=tmp_path / "none.toml")


@pytest.fixture
def film_dir(tmp_path: Path) -> Path:
    """A copy of the dialogue example to edit."""
    dest = tmp_path / "umbrella"
    shutil.copytree(EXAMPLES / "umbrella-dialogue", dest)
    return dest
