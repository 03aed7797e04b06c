"""Layered settings. Later layers win:

1. built-in defaults (:data:`DEFAULTS`)
2. the user's config file: ``config.toml`` in the platform config folder
   (``ministudio config path`` prints it; ``MINISTUDIO_CONFIG`` points elsewhere)
3. the project's ``ministudio.toml`` next to the film
4. environment variables ``MINISTUDIO__SECTION__KEY=value`` (double underscores separate
   levels; values are read as TOML literals when they parse, else as strings)
5. command-line ``--set section.key=value``

Secrets never live here: providers read them from the environment (``CallContext.env``),
which also includes a project ``.env`` file (existing variables win), so secret injectors such
as ``doppler run --`` work unchanged. ``Settings.describe()`` masks anything secret-looking.
"""

from __future__ import annotations

import copy
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ministudio.errors import ConfigError

__all__ = ["DEFAULTS", "RULES", "Settings", "load_settings", "mask", "provider_settings_at_load",
           "user_config_path"]

DEFAULTS: dict[str, Any] = {
    "defaults": {"provider": "animatic", "model": None, "speech_provider": "piper", "voice": None},
    "render": {"concurrency": 4, "max_cost": None, "attempts": 4, "early_chain": True,
               "pick_duration_tolerance_s": 0.5},
    "identity": {"scorer": None, "threshold": None, "max_attempts": 3, "gate_on_look": False},
    "media": {"codec": "libx264", "crf": 20, "preset": "veryfast", "anchor_frame": None},
    "plugins": {"disabled": []},
    "studio": {"max_renders": 2},
    "providers": {},
    "pricing": {},
}


# -- what each setting may be ---------------------------------------------------------------------

#: checks a value; returns what was expected, or None when it is fine
Rule = Callable[[Any], "str | None"]


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"text {value[:40]!r}"
    return repr(value)[:40]


def _whole(lo: int, hi: int) -> Rule:
    def rule(v: Any) -> str | None:
        if isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi:
            return None
        return f"a whole number from {lo} to {hi}"

    return rule


def _number(lo: float, hi: float | None = None, *, text: bool = False, optional: bool = False) -> Rule:
    bound = f"from {lo:g} to {hi:g}" if hi is not None else f"of at least {lo:g}"

    def rule(v: Any) -> str | None:
        if v is None and optional:
            return None
        value: Any = v
        if isinstance(v, str) and text:
            try:
                value = float(Decimal(v.strip()))
            except (InvalidOperation, ValueError):
                value = None
        ok = (isinstance(value, int | float) and not isinstance(value, bool)
              and math.isfinite(value) and value >= lo and (hi is None or value <= hi))
        return None if ok else f"a number {bound}"

    return rule


def _text(*, optional: bool = False, choices: tuple[str, ...] = ()) -> Rule:
    def rule(v: Any) -> str | None:
        if v is None and optional:
            return None
        if isinstance(v, str) and v.strip() and (not choices or v in choices):
            return None
        return f"one of {', '.join(choices)}" if choices else "a name (text)"

    return rule


def _flag(v: Any) -> str | None:
    return None if isinstance(v, bool) else "true or false"


def _names(v: Any) -> str | None:
    if isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v):
        return None
    return 'a list of names, e.g. ["titlecard"]'


def _tables(v: Any) -> str | None:
    return None if isinstance(v, Mapping) else "a table"


#: every built-in setting and what it may be (providers check their own ``providers.NAME``)
RULES: dict[str, Rule] = {
    "defaults.provider": _text(),
    "defaults.model": _text(optional=True),
    "defaults.speech_provider": _text(optional=True),
    "defaults.voice": _text(optional=True),
    "render.concurrency": _whole(1, 64),
    "render.max_cost": _number(0, text=True, optional=True),
    "render.attempts": _whole(1, 20),
    "render.early_chain": _flag,
    "render.pick_duration_tolerance_s": _number(0, 10),
    "identity.scorer": _text(optional=True),
    "identity.threshold": _number(0, 1, optional=True),
    "identity.max_attempts": _whole(1, 20),
    "identity.gate_on_look": _flag,
    "media.codec": _text(),
    "media.crf": _whole(0, 51),
    "media.preset": _text(choices=("ultrafast", "superfast", "veryfast", "faster", "fast",
                                   "medium", "slow", "slower", "veryslow")),
    "media.anchor_frame": _text(optional=True),
    "plugins.disabled": _names,
    "studio.max_renders": _whole(1, 16),
    "providers": _tables,  # providers.NAME: a table of that provider's settings
    "pricing": _tables,  # pricing.PROVIDER.MODEL: a price table
}


def _origin(key: str, source: str) -> str:
    if source == "command line":
        return "from --set"
    if source == "environment":
        return f"from {ENV_PREFIX}{key.upper().replace('.', '__')}"
    return f"from {source}" if source != "default" else "the default"


def _check_values(data: Mapping[str, Any], sources: Mapping[str, str]) -> list[str]:
    """One line per setting that is unknown or of the wrong type or range, naming it and
    the layer it came from."""
    problems: list[str] = []
    for section, value in data.items():
        if section in ("providers", "pricing"):
            problems += _check_tables(section, value, sources, 2 if section == "pricing" else 1)
            continue
        known = [k.split(".", 1)[1] for k in RULES if k.startswith(section + ".")]
        if not isinstance(value, Mapping):
            problems.append(f"{section}: expected a table of settings ({', '.join(known)}), "
                            f"got {_shown(value)} ({_origin(section, sources.get(section, 'default'))})")
            continue
        for key, item in value.items():
            dotted = f"{section}.{key}"
            where = _origin(dotted, _source(sources, dotted))
            rule = RULES.get(dotted)
            if rule is None:
                import difflib  # only for a typo's suggestion

                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(known)}"
                problems.append(f"{dotted}: unknown setting ({hint}) ({where})")
                continue
            expected = rule(item)
            if expected:
                problems.append(f"{dotted}: expected {expected}, got {_shown(item)} ({where})")
    return problems


def _check_tables(path: str, value: Any, sources: Mapping[str, str], levels: int) -> list[str]:
    """``providers.NAME`` and ``pricing.PROVIDER.MODEL`` must be tables (their contents are
    checked by the provider and by :mod:`ministudio.pricing`)."""
    if not isinstance(value, Mapping):
        return [f"{path}: expected a table, got {_shown(value)} ({_origin(path, _source(sources, path))})"]
    if levels == 0:
        return []
    out: list[str] = []
    for key, item in value.items():
        out += _check_tables(f"{path}.{key}", item, sources, levels - 1)
    return out


def _source(sources: Mapping[str, str], dotted: str) -> str:
    if dotted in sources:
        return sources[dotted]
    prefix = dotted + "."
    return next((v for k, v in sources.items() if k.startswith(prefix)), "default")


SECRET_KEY = re.compile(r"(key|token|secret|password|passwd|credential|auth)", re.IGNORECASE)
ENV_PREFIX = "MINISTUDIO__"
PROJECT_FILE = "ministudio.toml"
MASK = "****"


def user_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("MINISTUDIO_CONFIG"):
        return Path(env["MINISTUDIO_CONFIG"])
    folder = _xdg_config_home()
    if folder is None:
        import platformdirs

        return platformdirs.user_config_path("ministudio") / "config.toml"
    return Path(folder) / "ministudio" / "config.toml"


def _xdg_config_home() -> str | None:
    """The XDG config folder on Linux in the plain cases, where every platformdirs release
    (``>=4``) agrees: ``$XDG_CONFIG_HOME`` when absolute, else ``$HOME/.config`` when
    ``HOME`` is absolute. ``None`` for anything else (another OS, Android, a relative or
    blank variable): platformdirs decides. Importing platformdirs costs every command (a
    ``providers list`` reads the user's config for ``plugins.disabled``) more than a
    folder name is worth."""
    if sys.platform != "linux" or hasattr(sys, "getandroidapilevel") or "ANDROID_ROOT" in os.environ:
        return None
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg is not None:
        return xdg if os.path.isabs(xdg) else None
    home = os.environ.get("HOME", "")
    return os.path.expanduser("~/.config") if os.path.isabs(home) else None


def mask(value: str) -> str:
    return MASK if value else ""


class Settings:
    """Merged settings with the source of every value."""

    def __init__(self, data: dict[str, Any], sources: dict[str, str], env: dict[str, str]):
        self.data = data
        self.sources = sources
        #: process environment plus the project's ``.env`` (for providers' credentials)
        self.env = env

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return node

    def provider(self, name: str) -> dict[str, Any]:
        return dict(self.data.get("providers", {}).get(name, {}))

    def provider_settings(self) -> dict[str, dict[str, Any]]:
        return {k: dict(v) for k, v in self.data.get("providers", {}).items()}

    def describe(self) -> list[tuple[str, Any, str]]:
        """``(key, value, source)`` rows, secret-looking values masked."""
        rows = []
        for key, value in _flatten(self.data):
            leaf = key.rsplit(".", 1)[-1]
            if SECRET_KEY.search(leaf) and isinstance(value, str):
                value = mask(value)
            rows.append((key, value, self.sources.get(key, "default")))
        return rows


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _flatten(value, path + ".")
        else:
            yield path, value


def _merge(base: dict[str, Any], layer: Mapping[str, Any], source: str,
           sources: dict[str, str], prefix: str = "") -> None:
    for key, value in layer.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value, source, sources, path + ".")
        elif isinstance(value, Mapping):
            base[key] = {}
            _merge(base[key], value, source, sources, path + ".")
        else:
            base[key] = value
            sources[path] = source


def _check_sections(layer: Mapping[str, Any], source: str) -> list[str]:
    return [
        f"{source}: unknown section '{k}' (known: {', '.join(sorted(DEFAULTS))})"
        for k in layer
        if k not in DEFAULTS
    ]


def _parse_value(raw: str) -> Any:
    import tomllib  # here, not at the top: most commands read no TOML at all

    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    parts = [p for p in dotted.split(".") if p]
    out: dict[str, Any] = {}
    node = out
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc


def load_settings(
    *,
    project_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Iterable[str] = (),
    user_config: Path | None = None,
) -> Settings:
    """Merge every layer; raise ConfigError listing every bad key or value."""
    env = dict(os.environ if env is None else env)
    data = copy.deepcopy(DEFAULTS)
    sources: dict[str, str] = {}
    problems: list[str] = []

    layers: list[tuple[str, Mapping[str, Any]]] = []
    user_path = user_config or user_config_path(env)
    if user_path.is_file():
        layers.append((str(user_path), _read_toml(user_path)))
    if project_dir is not None:
        project_file = Path(project_dir) / PROJECT_FILE
        if project_file.is_file():
            layers.append((str(project_file), _read_toml(project_file)))
        dotenv = Path(project_dir) / ".env"
        if dotenv.is_file():
            from dotenv import dotenv_values

            for key, value in dotenv_values(dotenv).items():
                if value is not None:
                    env.setdefault(key, value)
    env_layer: dict[str, Any] = {}
    for key, raw in env.items():
        if key.startswith(ENV_PREFIX):
            dotted = key[len(ENV_PREFIX):].lower().replace("__", ".")
            if not dotted or any(not part for part in dotted.split(".")):
                problems.append(f"{key}: expected {ENV_PREFIX}SECTION__KEY, e.g. "
                                f"{ENV_PREFIX}RENDER__CONCURRENCY")
                continue
            _merge(env_layer, _nest(dotted, _parse_value(raw)), "", {})
    if env_layer:
        layers.append(("environment", env_layer))
    cli_layer: dict[str, Any] = {}
    for item in overrides:
        if "=" not in item:
            problems.append(f"--set {item!r}: expected KEY=VALUE, e.g. render.concurrency=2")
            continue
        key, raw = item.split("=", 1)
        key = key.strip()
        if not key or any(not part for part in key.split(".")):
            problems.append(f"--set {item!r}: expected KEY=VALUE with a dotted KEY, "
                            "e.g. render.concurrency=2")
            continue
        _merge(cli_layer, _nest(key, _parse_value(raw.strip())), "", {})
    if cli_layer:
        layers.append(("command line", cli_layer))

    for source, layer in layers:
        problems += _check_sections(layer, source)
        _merge(data, {k: v for k, v in layer.items() if k in DEFAULTS}, source, sources)
    problems += _check_values(data, sources)
    if problems:
        raise ConfigError("invalid settings", problems=problems)
    return Settings(data, sources, env)


def provider_settings_at_load(name: str) -> Mapping[str, Any]:
    """``[providers.NAME]`` as configured for the project in the current folder, for a
    plugin's ``register_providers`` (e.g. a user's model list). ``{}`` when the settings
    cannot be read: a broken config file is reported by the command, not at plugin load."""
    from ministudio.errors import MinistudioError

    try:
        return load_settings(project_dir=Path.cwd(), env=os.environ).provider(name)
    except MinistudioError:
        return {}
