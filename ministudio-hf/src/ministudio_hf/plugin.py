"""The ``hf`` provider's hooks. Registration is pure data; rendering imports huggingface_hub."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ministudio.capabilities import AuthSpec, Operation, ProviderSpec, Setting
from ministudio.hookspecs import hookimpl

from ministudio_hf.draft import DRAFT_MODELS
from ministudio_hf.models import CATALOG

if TYPE_CHECKING:  # annotations only: listing the providers builds no request records
    from ministudio.context import CallContext
    from ministudio.requests import ClipRequest, ClipResult, DraftRequest, DraftResult

__all__ = ["MINISTUDIO_PLUGIN_API", "PROVIDER", "draft_film", "generate_clip", "register_providers"]

MINISTUDIO_PLUGIN_API = 1
PROVIDER = "hf"


#: the keys of ``[providers.hf]`` (docs/providers/hf.md)
SETTINGS = (
    Setting(name="token", description="a token, when not in HF_TOKEN (prefer the environment)"),
    Setting(name="bill_to", description="bill an organization (hf_ tokens only)"),
    Setting(name="http_timeout_s", type="float", default=900.0,
            description="per HTTP request (endpoints hold the request while rendering)"),
    Setting(name="models", type="table",
            description="per model id: steps, guidance, extra, and route tables"),
    Setting(name="draft_provider", default="auto",
            description="the Inference Provider for drafting chat models (auto: the Hub picks)"),
)


@hookimpl
def register_providers() -> Iterator[ProviderSpec]:
    yield ProviderSpec(
        name=PROVIDER,
        operations={Operation.CLIP, Operation.DRAFT},
        description="Open video models (Wan, LTX-Video, HunyuanVideo, CogVideoX, Mochi) hosted "
        "by Hugging Face Inference Providers (fal-ai, replicate, novita, together, wavespeed)",
        clip_models=tuple(m.clip_model() for m in CATALOG),
        default_model=CATALOG[0].id,
        draft_models=DRAFT_MODELS,
        auth=AuthSpec(
            env_vars=("HF_TOKEN",),
            description="a Hugging Face token with the 'Make calls to Inference Providers' "
            "permission (billed to your HF account); a token stored by `hf auth login` also works",
        ),
        docs_url="https://huggingface.co/docs/inference-providers",
        settings=SETTINGS,
    )


@hookimpl
def generate_clip(request: ClipRequest, context: CallContext) -> ClipResult:
    """Blocking (huggingface_hub's client is synchronous); core runs it in a worker thread."""
    from ministudio_hf.generate import generate

    return generate(request, context)


@hookimpl
def draft_film(request: DraftRequest, context: CallContext) -> DraftResult:
    """One drafting round with a chat model (blocking; core runs it in a worker thread)."""
    from ministudio_hf.draft import draft

    return draft(request, context)
