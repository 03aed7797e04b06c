"""Drafting a film with Gemini on Vertex AI (``draft_film`` for the ``vertex`` provider).

Same credentials, project and location as Veo (:mod:`ministudio_vertex.auth`). One
``generateContent`` call per round with structured output: ``responseMimeType`` JSON and
``responseJsonSchema`` the film JSON Schema core passes in the request. Core loads the answer
and sends problems back; this module neither validates nor retries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ministudio.capabilities import DraftModel

if TYPE_CHECKING:  # the plugin module imports DRAFT_MODELS on every listing
    from ministudio.context import CallContext
    from ministudio.requests import DraftRequest, DraftResult

__all__ = ["DEFAULT_DRAFT_MODEL", "DRAFT_MODELS", "draft"]

DEFAULT_DRAFT_MODEL = "gemini-2.5-flash"
DRAFT_MODELS = (
    DraftModel(id=DEFAULT_DRAFT_MODEL, description="Gemini 2.5 Flash, structured JSON output",
               max_input_chars=100_000),
    DraftModel(id="gemini-2.5-pro", description="Gemini 2.5 Pro, structured JSON output",
               max_input_chars=100_000),
)


def draft(request: DraftRequest, context: CallContext) -> DraftResult:
    from google.genai import errors, types
    from ministudio.draft.prompt import instructions, message
    from ministudio.requests import DraftResult

    from ministudio_vertex import auth
    from ministudio_vertex.jobs import classify_api_error

    model = request.model or DEFAULT_DRAFT_MODEL
    target = auth.resolve(context.settings, context.env)
    http = None if context.transport is None else auth.http_client(context.transport, context.timeout_s)
    client = auth.make_client(target, http=http, timeout_s=context.timeout_s)
    config = types.GenerateContentConfig(
        system_instruction=instructions(),
        response_mime_type="application/json",
        response_json_schema=dict(request.schema) or None,
        temperature=0.2 if request.round == 1 else 0.0,
    )
    log = context.log.bind(round=request.round, location=target.location)
    try:
        response = client.models.generate_content(model=model, contents=message(request),
                                                  config=config)
    except errors.APIError as exc:
        raise classify_api_error(exc, model=model) from exc
    finally:
        client.close()
        if http is not None:
            http.close()
    text = response.text or ""
    usage: dict[str, Any] = {}
    meta = getattr(response, "usage_metadata", None)
    if meta is not None:
        usage = {"input_tokens": meta.prompt_token_count, "output_tokens": meta.candidates_token_count}
    log.info("vertex.drafted", chars=len(text), **usage)
    return DraftResult(film=text, provider=request.provider, model=model, usage=usage)
