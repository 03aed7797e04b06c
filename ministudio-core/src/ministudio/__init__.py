"""MiniStudio: storyboard-as-code for generative video.

The public API for plugin authors and embedding applications. Submodules:
:mod:`ministudio.hookspecs` (the plugin contract), :mod:`ministudio.errors` (the exception
tree), :mod:`ministudio.plugins` (discovery), :mod:`ministudio.dispatch` (calling providers),
:mod:`ministudio.config` (layered settings), :mod:`ministudio.jobs` (the kit for providers
with long-running paid jobs), :mod:`ministudio.testing` (kit for plugin authors).
"""

from __future__ import annotations

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

__version__ = "0.1.0"

# ``ministudio.draft(text) -> Film``: the function replaces the package name on purpose
from ministudio.draft import draft, draft_and_render  # noqa: E402

# a library call is quiet unless asked (see ministudio.log); an app's own set-up wins
from ministudio.log import quiet_default as _quiet_default  # noqa: E402

_quiet_default()

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
