from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No user settings file (also for worker processes started during the test)."""
    monkeypatch.setenv("MINISTUDIO_CONFIG",
                       str(tmp_path_factory.getbasetemp() / "no-such-config.toml"))
