"""Opt-in pytest fixtures for plugin authors.

Enable in your ``conftest.py``::

    pytest_plugins = ["ministudio.testing.pytest_plugin"]

Fixtures:
- ``ministudio_pm``: a :class:`~ministudio.plugins.PluginManager` with core's built-ins only
  (no entry points loaded, no environment), so tests never see what else is installed.
- ``register_plugin``: ``register_plugin(obj, name)`` registers for the duration of the test.
- ``mock_transport``: a :class:`~ministudio.testing.RecordingTransport`; set ``.handler``.
- ``fake_clip_plugin``: a registered :class:`~ministudio.testing.fakes.FakeClipPlugin`
  named ``fake``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ministudio.plugins import PluginManager, PluginRecord
from ministudio.testing.fakes import FakeClipPlugin
from ministudio.testing.transport import RecordingTransport


@pytest.fixture
def ministudio_pm() -> PluginManager:
    return PluginManager(load_entrypoints=False, env={})


@pytest.fixture
def register_plugin(ministudio_pm: PluginManager) -> Iterator[Callable[..., PluginRecord]]:
    names: list[str] = []

    def register(plugin: Any, name: str) -> PluginRecord:
        names.append(name)
        return ministudio_pm.register(plugin, name)

    yield register
    for name in names:
        ministudio_pm.unregister(name)


@pytest.fixture
def mock_transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def fake_clip_plugin(register_plugin: Callable[..., PluginRecord]) -> FakeClipPlugin:
    plugin = FakeClipPlugin(name="fake")
    register_plugin(plugin, "fake")
    return plugin
