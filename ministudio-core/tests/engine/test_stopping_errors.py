"""Rejected credentials or an account that cannot pay stop the whole render (every later call
would fail the same way); the error says so, and says what was kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from ministudio.config import load_settings
from ministudio.engine import RenderFailedError, render
from ministudio.errors import AuthenticationError, PaymentRequiredError
from ministudio.plugins import PluginManager
from ministudio.testing.fakes import FakeClipPlugin

FILM = """
title: Stops
format: {aspect_ratio: "16:9", resolution: 360p, fps: 24}
defaults: {provider: fake}
environments:
  lab: {description: a small lab}
scenes:
  - id: one
    environment: lab
    shots:
      - {id: a, action: A lamp., duration: 1}
      - {id: b, action: A desk., duration: 1}
      - {id: c, action: A door., duration: 1}
      - {id: d, action: A window., duration: 1}
"""


@pytest.mark.parametrize("error, remedy", [
    (AuthenticationError("fake: the API key was rejected (HTTP 401)", provider="fake"),
     "fix the credentials"),
    (PaymentRequiredError("fake: no credit left (HTTP 402)", provider="fake"),
     "add credit or enable billing"),
])
def test_a_stopping_error_ends_the_render_and_says_what_was_kept(tmp_path: Path, error,
                                                                 remedy) -> None:
    (tmp_path / "film.yaml").write_text(FILM)

    def fail(request, call):  # the first shot renders, then the account stops working
        if call >= 2:
            raise error

    plugin = FakeClipPlugin("fake", fail=fail)
    manager = PluginManager(load_entrypoints=False, env={})
    manager.register(plugin, "fake")
    settings = load_settings(project_dir=tmp_path, env={}, user_config=tmp_path / "none.toml",
                             overrides=("identity.threshold=0.0", "render.attempts=3"))
    with pytest.raises(RenderFailedError) as ei:
        render(tmp_path / "film.yaml", out=tmp_path / "out", manager=manager,
               settings=settings, concurrency=1)
    err = ei.value
    message = str(err)
    assert message.startswith(f"render stopped: shot one.b: generate with fake failed: {error}")
    assert f"2 other shots not rendered: after {type(error).__name__} no further provider " \
           "call is made" in message  # c and d
    assert plugin.calls == 2, "no call after the stopping error, and no retry of it"
    assert err.kept == 1
    assert err.hint.startswith("1 finished shot is kept in the project's cache")
    assert remedy in err.hint and "only the missing shots are rendered" in err.hint
