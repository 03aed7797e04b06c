"""MiniStudio: storyboard-as-code for generative video.

The public API for plugin authors and embedding applications. Submodules:
:mod:`ministudio.hookspecs` (the plugin contract), :mod:`ministudio.errors` (the exception
tree), :mod:`ministudio.plugins` (discovery), :mod:`ministudio.dispatch` (calling providers),
:mod:`ministudio.config` (layered settings), :mod:`ministudio.jobs` (the kit for providers
with long-running paid jobs), :mod:`ministudio.testing` (kit for plugin authors).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# ``ministudio.draft(text) -> Film``: the function replaces the package name on purpose (and
# is imported here, not lazily: importing ``ministudio.draft.plugin`` later would otherwise
# bind the subpackage to the name). ``ministudio.draft`` itself imports nothing heavy.
from ministudio.draft import draft, draft_and_render

# a library call is quiet unless asked (see ministudio.log); an app's own set-up wins
from ministudio.log import quiet_default as _quiet_default

_quiet_default()

#: every other public name -> the module that defines it, imported on first use (PEP 562):
#: ``from ministudio import ClipRequest`` works as before, but a command that needs only
#: some of these (``providers list`` needs no request records) does not pay for the rest
_LAZY: dict[str, str] = {
    **dict.fromkeys((
        "JOB_SETTINGS", "AuthSpec", "ClipModel", "DraftModel", "Operation", "PriceRule",
        "Pricing", "ProviderSpec", "ReferenceRole", "ScorerInfo", "Setting", "SpeechModel",
        "Voice", "frame_size"), "ministudio.capabilities"),
    "CallContext": "ministudio.context",
    **dict.fromkeys((
        "AuthenticationError", "CapabilityError", "ConfigError", "ContentRejectedError",
        "JobFailedError", "JobPendingError", "MediaError", "MinistudioError",
        "PaymentRequiredError", "PluginError", "ProviderError", "ProviderNotFoundError",
        "ProviderUnavailableError", "RateLimitedError"), "ministudio.errors"),
    **dict.fromkeys(("PLUGIN_API", "hookimpl"), "ministudio.hookspecs"),
    **dict.fromkeys((
        "AnchorFrame", "AnchorFrameRequest", "ClipRequest", "ClipResult", "DraftRequest",
        "DraftResult", "IdentityRequest", "IdentityScore", "ReferenceImage", "SpeechRequest",
        "SpeechResult", "WordTiming"), "ministudio.requests"),
}


#: submodules this package used to import eagerly: ``import ministudio`` followed by
#: ``ministudio.requests.ClipRequest`` keeps working
_SUBMODULES = frozenset({"capabilities", "context", "errors", "hookspecs", "requests"})


def __getattr__(name: str) -> Any:
    """Import a public name's module on first access and keep the value here."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")  # the import binds it here too
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)


if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from ministudio.capabilities import (
        JOB_SETTINGS,
        AuthSpec,
        ClipModel,
        DraftModel,
        Operation,
        PriceRule,
        Pricing,
        ProviderSpec,
        ReferenceRole,
        ScorerInfo,
        Setting,
        SpeechModel,
        Voice,
        frame_size,
    )
    from ministudio.context import CallContext
    from ministudio.errors import (
        AuthenticationError,
        CapabilityError,
        ConfigError,
        ContentRejectedError,
        JobFailedError,
        JobPendingError,
        MediaError,
        MinistudioError,
        PaymentRequiredError,
        PluginError,
        ProviderError,
        ProviderNotFoundError,
        ProviderUnavailableError,
        RateLimitedError,
    )
    from ministudio.hookspecs import PLUGIN_API, hookimpl
    from ministudio.requests import (
        AnchorFrame,
        AnchorFrameRequest,
        ClipRequest,
        ClipResult,
        DraftRequest,
        DraftResult,
        IdentityRequest,
        IdentityScore,
        ReferenceImage,
        SpeechRequest,
        SpeechResult,
        WordTiming,
    )

__all__ = [
    "JOB_SETTINGS",
    "PLUGIN_API",
    "AnchorFrame",
    "AnchorFrameRequest",
    "AuthSpec",
    "AuthenticationError",
    "CallContext",
    "CapabilityError",
    "ClipModel",
    "ClipRequest",
    "ClipResult",
    "ConfigError",
    "ContentRejectedError",
    "DraftModel",
    "DraftRequest",
    "DraftResult",
    "IdentityRequest",
    "IdentityScore",
    "JobFailedError",
    "JobPendingError",
    "MediaError",
    "MinistudioError",
    "Operation",
    "PaymentRequiredError",
    "PluginError",
    "PriceRule",
    "Pricing",
    "ProviderError",
    "ProviderNotFoundError",
    "ProviderSpec",
    "ProviderUnavailableError",
    "RateLimitedError",
    "ReferenceImage",
    "ReferenceRole",
    "ScorerInfo",
    "Setting",
    "SpeechModel",
    "SpeechRequest",
    "SpeechResult",
    "Voice",
    "WordTiming",
    "__version__",
    "draft",
    "draft_and_render",
    "frame_size",
    "hookimpl",
]
