"""Drafting a film with a chat model on Hugging Face Inference Providers (``draft_film`` for
the ``hf`` provider).

One ``InferenceClient.chat_completion`` call per round with structured output
(``response_format`` ``{"type": "json_schema", ...}`` carrying the film JSON Schema core passes
in the request), through the same token, billing and test transport as the video models.
Core loads the answer and sends problems back; this module neither validates nor retries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ministudio.capabilities import DraftModel
from ministudio.errors import JobFailedError

if TYPE_CHECKING:  # the plugin module imports DRAFT_MODELS on every listing
    from ministudio.context import CallContext
    from ministudio.requests import DraftRequest, DraftResult

__all__ = ["DEFAULT_DRAFT_MODEL", "DRAFT_MODELS", "draft"]

DEFAULT_DRAFT_MODEL = "Qwen/Qwen2.5-72B-Instruct"
DRAFT_MODELS = (
    DraftModel(id=DEFAULT_DRAFT_MODEL, description="Qwen2.5 72B Instruct, JSON-schema output",
               max_input_chars=60_000),
    DraftModel(id="meta-llama/Llama-3.3-70B-Instruct",
               description="Llama 3.3 70B Instruct, JSON-schema output", max_input_chars=60_000),
)


def draft(request: DraftRequest, context: CallContext) -> DraftResult:
    from huggingface_hub import InferenceClient
    from ministudio.draft.prompt import instructions, message
    from ministudio.errors import AuthenticationError
    from ministudio.requests import DraftResult

    from ministudio_hf.client import classify, injected_transport
    from ministudio_hf.generate import resolve_token

    model = request.model or DEFAULT_DRAFT_MODEL
    token = resolve_token(context)
    if not token:
        raise AuthenticationError(
            f"hf ({model}): no Hugging Face token found",
            hint="set HF_TOKEN (https://huggingface.co/settings/tokens), or run `hf auth login`",
            provider="hf", model=model,
        )
    route = str(context.settings.get("draft_provider") or "auto")
    where = f"{route}: {model}"
    messages = [{"role": "system", "content": instructions()},
                {"role": "user", "content": message(request)}]
    response_format = {"type": "json_schema",
                       "json_schema": {"name": "film", "schema": dict(request.schema),
                                       "strict": False}}
    log = context.log.bind(round=request.round, inference_provider=route)
    with injected_transport(context.transport):
        client = InferenceClient(provider=route, token=token, timeout=context.timeout_s,
                                 bill_to=context.settings.get("bill_to"))
        try:
            out = client.chat_completion(messages, model=model, response_format=response_format,
                                         temperature=0.2 if request.round == 1 else 0.0,
                                         max_tokens=8192)
        except Exception as exc:  # noqa: BLE001 - classified below
            raise classify(exc, where=where, model=model, token=token) from exc
    try:
        text = out.choices[0].message.content or ""
    except (AttributeError, IndexError, TypeError) as exc:
        raise JobFailedError(f"hf ({where}): the answer has no message", provider="hf",
                             model=model) from exc
    usage: dict[str, Any] = {}
    if getattr(out, "usage", None) is not None:
        usage = {"input_tokens": out.usage.prompt_tokens, "output_tokens": out.usage.completion_tokens}
    log.info("hf.drafted", chars=len(text), **usage)
    return DraftResult(film=text, provider=request.provider, model=model, usage=usage)
