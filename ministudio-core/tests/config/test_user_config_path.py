"""The user's config file is where platformdirs says, whether or not platformdirs is asked
(on Linux, in the plain cases, the path is built without importing it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest
from ministudio.config import _xdg_config_home, user_config_path

CASES = [
    {"HOME": "/home/mira"},
    {"HOME": "/home/mira/"},
    {"HOME": "/"},
    {"HOME": "/home/mira", "XDG_CONFIG_HOME": "/srv/conf"},
    {"HOME": "/home/mira", "XDG_CONFIG_HOME": "/srv/conf/"},
    {"HOME": "/home/mira", "XDG_CONFIG_HOME": "relative/conf"},
    {"HOME": "/home/mira", "XDG_CONFIG_HOME": ""},
    {"HOME": "/home/mira", "XDG_CONFIG_HOME": "   "},
]


@pytest.mark.parametrize("env", CASES)
def test_same_path_as_platformdirs(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("HOME", "XDG_CONFIG_HOME", "MINISTUDIO_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert user_config_path() == platformdirs.user_config_path("ministudio") / "config.toml"


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG shortcut is Linux only")
def test_plain_linux_cases_need_no_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/mira")
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert _xdg_config_home() == "/home/mira/.config"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative")
    assert _xdg_config_home() is None  # platformdirs decides
    code = ("import sys; from ministudio.config import user_config_path; "
            "print(user_config_path(), 'platformdirs' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"HOME": "/home/mira", "PATH": "/usr/bin:/bin"}, timeout=60)
    assert out.stdout.split() == [str(Path("/home/mira/.config/ministudio/config.toml")), "False"]


def test_ministudio_config_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MINISTUDIO_CONFIG", str(tmp_path / "mine.toml"))
    assert user_config_path() == tmp_path / "mine.toml"
