"""The MiniStudio plugin: registers ``piper``, ``espeak``, ``google`` and ``openai``.

Registration is cheap (plain records); each engine and SDK is imported inside
``synthesize_speech``, only for the provider being called.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ministudio import hookimpl
from ministudio.capabilities import ProviderSpec

if TYPE_CHECKING:  # annotations only: listing the providers builds no request records
    from ministudio.context import CallContext
    from ministudio.requests import SpeechRequest, SpeechResult

MINISTUDIO_PLUGIN_API = 1

#: provider name -> module with ``speak(request, context) -> SpeechResult``
PROVIDERS = {
    "piper": "ministudio_tts.local",
    "espeak": "ministudio_tts.local",
    "google": "ministudio_tts.google",
    "openai": "ministudio_tts.openai_tts",
}


@hookimpl
def register_providers() -> Iterable[ProviderSpec]:
    from ministudio_tts.specs import all_specs

    return all_specs()


@hookimpl
def synthesize_speech(request: SpeechRequest, context: CallContext) -> SpeechResult | None:
    module = PROVIDERS.get(request.provider)
    if module is None:
        return None
    return importlib.import_module(module).speak(request, context)  # type: ignore[no-any-return]
