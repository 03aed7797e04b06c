"""A diffusers provider's settings (``[providers.wan]``, ``[providers.ltx-video]``...), checked.

Example (``ministudio.toml`` or the user config)::

    [providers.wan]
    device = "cuda"           # auto | cpu | cuda | cuda:1 | mps
    dtype = "bfloat16"        # auto | float32 | float16 | bfloat16
    offload = "model"         # none | model | sequential
    vae_tiling = true
    steps = 30                # sampling steps (default: the model's)
    guidance_scale = 5.0
    size = "832x480"          # render at this size instead of the model's (then resized)
    local_files_only = false  # true: never download, use the Hugging Face cache only

    [providers.wan.weights]   # model id -> Hugging Face model id or local folder
    "wan2.1-t2v-1.3b" = "/models/Wan2.1-T2V-1.3B-Diffusers"

``model_path`` is a shortcut for ``weights.<the model asked for>`` when a provider is used with
one model only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
from ministudio.errors import ConfigError

from ministudio_local.diffusers.catalog import ModelEntry

__all__ = ["RuntimeOptions", "parse_options"]

_DEVICES = ("auto", "cpu", "cuda", "mps")
_DTYPES = ("auto", "float32", "float16", "bfloat16")
_OFFLOAD = ("none", "model", "sequential")
_KNOWN = {
    "device", "dtype", "offload", "vae_tiling", "steps", "guidance_scale", "size",
    "local_files_only", "revision", "weights", "model_path", "crf", "preset",
    "timeout_s", "http_timeout_s",
}


@attrs.frozen(kw_only=True)
class RuntimeOptions:
    """How to load and run one model, resolved from settings and the catalog defaults."""

    source: str  #: Hugging Face model id or an existing local folder
    local: bool  #: ``source`` is a local folder
    device: str = "auto"
    dtype: str = "auto"
    offload: str = "none"
    vae_tiling: bool = False
    steps: int = 50
    guidance_scale: float = 5.0
    size: tuple[int, int] | None = None
    local_files_only: bool = False
    revision: str | None = None
    crf: int = 18
    preset: str = "medium"
    #: settings this provider does not know (logged as a warning: likely a typo)
    unknown: tuple[str, ...] = ()


def _fail(provider: str, key: str, problem: str) -> ConfigError:
    return ConfigError(
        f"[providers.{provider}] {key}: {problem}",
        hint="see docs/local-models.md for the settings of the local model providers",
    )


def _choice(provider: str, settings: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = str(settings.get(key, allowed[0])).strip().lower()
    base = value.split(":", 1)[0]
    if base not in allowed or (":" in value and base != "cuda"):
        raise _fail(provider, key, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def _looks_like_path(value: str) -> bool:
    return value.startswith(("/", "./", "../", "~", "\\")) or (len(value) > 1 and value[1] == ":")


def parse_options(entry: ModelEntry, settings: Mapping[str, Any]) -> RuntimeOptions:
    """Check ``settings`` for ``entry``'s provider; every mistake is a one-line ConfigError."""
    p = entry.provider
    weights = settings.get("weights", {}) or {}
    if not isinstance(weights, Mapping):
        raise _fail(p, "weights", "must be a table of model id = Hugging Face id or folder")
    source = str(weights.get(entry.id) or settings.get("model_path") or entry.hf_id).strip()
    path = Path(source).expanduser()
    local = path.is_dir()
    if local:
        source = str(path.resolve())
    elif _looks_like_path(source) or path.exists():
        raise _fail(p, f"weights.{entry.id}", f"weights folder {source} does not exist")
    size = settings.get("size")
    parsed_size = None
    if size is not None:
        try:
            w, h = (int(v) for v in str(size).lower().split("x", 1))
        except ValueError:
            raise _fail(p, "size", f"{size!r} is not WIDTHxHEIGHT") from None
        if w <= 0 or h <= 0:
            raise _fail(p, "size", f"{size!r} must be positive")
        parsed_size = (w, h)
    try:
        steps = int(settings.get("steps", entry.steps))
        guidance = float(settings.get("guidance_scale", entry.guidance_scale))
        crf = int(settings.get("crf", 18))
    except (TypeError, ValueError) as exc:
        raise _fail(p, "steps/guidance_scale/crf", f"not a number ({exc})") from None
    if steps < 1:
        raise _fail(p, "steps", f"{steps} must be at least 1")
    if not 0 <= crf <= 51:
        raise _fail(p, "crf", f"{crf} must be within 0-51")
    device = _choice(p, settings, "device", _DEVICES)
    offload = _choice(p, settings, "offload", _OFFLOAD)
    if offload != "none" and device in ("cpu", "mps"):
        raise _fail(p, "offload", f"{offload!r} offload needs a CUDA device (device is {device})")
    return RuntimeOptions(
        source=source,
        local=local,
        device=device,
        dtype=_choice(p, settings, "dtype", _DTYPES),
        offload=offload,
        vae_tiling=bool(settings.get("vae_tiling", False)),
        steps=steps,
        guidance_scale=guidance,
        size=parsed_size,
        local_files_only=bool(settings.get("local_files_only", False)),
        revision=settings.get("revision"),
        crf=crf,
        preset=str(settings.get("preset", "medium")),
        unknown=tuple(sorted(set(settings) - _KNOWN)),
    )
