"""Core's built-in drafting provider ``outline``: the offline, deterministic drafter.

Registered by :data:`ministudio.plugins.BUILTIN_PLUGINS`. Needs no keys and no network; see
:mod:`ministudio.draft.outline` for what it understands.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ministudio.capabilities import DraftModel, Operation, ProviderSpec
from ministudio.hookspecs import hookimpl

if TYPE_CHECKING:  # annotations only: every CLI start registers this plugin
    from ministudio.context import CallContext
    from ministudio.requests import DraftRequest, DraftResult

MINISTUDIO_PLUGIN_API = 1
PROVIDER = "outline"
MODEL = "outline-v1"


@hookimpl
def register_providers() -> Iterator[ProviderSpec]:
    yield ProviderSpec(
        name=PROVIDER,
        operations={Operation.DRAFT},
        description="drafts a film from a plain description offline: characters, places, one "
        "shot per action, speech, hints and presets from the words (built in, no model)",
        draft_models=(DraftModel(
            id=MODEL, description="rules over the sentences; deterministic",
            structured_output=False, deterministic=True, max_input_chars=20_000),),
        settings=(),
    )


@hookimpl
def draft_film(request: DraftRequest, context: CallContext) -> DraftResult:
    from ministudio.draft.outline import outline
    from ministudio.requests import DraftResult

    drafted = outline(request.text, request.hints)
    context.log.info("draft.outlined", shots=drafted.understood.get("shots"),
                     characters=len(drafted.understood.get("characters", ())))
    return DraftResult(film=drafted.data, provider=PROVIDER, model=MODEL, notes=drafted.notes)
