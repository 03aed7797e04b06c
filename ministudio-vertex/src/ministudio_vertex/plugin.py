"""The ``vertex`` provider: Google Veo 3.1 on Vertex AI.

Registration is cheap (no SDK import). ``generate_clip`` checks the Veo-specific rules,
submits one long-running ``predictLongRunning`` job through google-genai (Vertex mode),
and runs it on core's job kit (:mod:`ministudio.jobs`): the operation name is reported to the
engine's ledger before polling, ``context.resume_job_id`` is re-attached to (after a crash, a
timeout, a transient error or a bad download), and the result is downloaded and measured.
Settings (``[providers.vertex]``): ``project``, ``location``, ``models``, ``capabilities``,
``service_account_file``, ``access_token_env``, ``output_gcs_uri``, ``person_generation``,
``labels``, ``poll_initial_s``, ``poll_max_s``, ``poll_factor``, ``poll_deadline_s``,
``http_timeout_s``. See ``docs/providers/vertex.md``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from ministudio.capabilities import AuthSpec, Operation, ProviderSpec
from ministudio.config import provider_settings_at_load
from ministudio.errors import ContentRejectedError, MinistudioError
from ministudio.hookspecs import PLUGIN_API, hookimpl

from ministudio_vertex.draft import DRAFT_MODELS
from ministudio_vertex.models import PROVIDER, configured_models, find_model
from ministudio_vertex.settings import SETTINGS

if TYPE_CHECKING:  # annotations only: listing the providers builds no request records
    from ministudio.context import CallContext
    from ministudio.requests import ClipRequest, ClipResult, DraftRequest, DraftResult

MINISTUDIO_PLUGIN_API = PLUGIN_API

__all__ = ["MINISTUDIO_PLUGIN_API", "draft_film", "generate_clip", "register_providers"]



@hookimpl
def register_providers() -> Iterator[ProviderSpec]:
    try:
        models = configured_models(provider_settings_at_load(PROVIDER))
    except MinistudioError:
        models = configured_models({})
    yield ProviderSpec(
        name=PROVIDER,
        operations={Operation.CLIP, Operation.DRAFT},
        description="Google Veo 3.1 on Vertex AI (native audio, subject references, first/last "
        "frame); drafts films with Gemini",
        clip_models=models,
        draft_models=DRAFT_MODELS,
        default_model=models[0].id,
        auth=AuthSpec(
            env_vars=("VERTEX_ACCESS_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS",
                      "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION"),
            optional=True,
            description="Application Default Credentials, a service-account file, or an access "
            "token in VERTEX_ACCESS_TOKEN; project from settings or GOOGLE_CLOUD_PROJECT",
        ),
        docs_url="https://cloud.google.com/vertex-ai/generative-ai/docs/models/veo/3-1-generate",
        settings=SETTINGS,
    )


@hookimpl
def generate_clip(request: ClipRequest, context: CallContext) -> ClipResult:
    """Render one clip (sync; core runs it in a worker thread)."""
    from ministudio_vertex import auth
    from ministudio_vertex.rules import check_request

    settings = context.settings
    model = find_model(request.model, settings)
    check_request(request, model, settings)
    target = auth.resolve(settings, context.env)
    log = context.log.bind(location=target.location)
    http = None if context.transport is None else auth.http_client(context.transport, context.timeout_s)
    client = auth.make_client(target, http=http, timeout_s=context.timeout_s)
    try:
        return _render(request, context, model, target, client, log)
    finally:
        client.close()
        if http is not None:
            http.close()


def _render(request: ClipRequest, context: CallContext, model: Any, target: Any, client: Any,
            log: Any) -> ClipResult:
    """One Veo job on core's job kit: submit, poll, fetch; the kit owns the loop."""
    from ministudio import jobs as kit

    from ministudio_vertex import auth, jobs, mapping, output

    settings = context.settings
    seen: dict[str, Any] = {}

    def submit(req: ClipRequest, ctx: CallContext) -> str:
        source, config = mapping.build_call(req, settings)
        operation = jobs.submit(client, model=model.id, source=source, config=config)
        log.info("vertex.submitted", job=operation.name, credentials=target.source)
        return str(operation.name or "")

    def status(job_id: str, req: ClipRequest, ctx: CallContext) -> kit.JobStatus:
        operation = jobs.fetch_operation(client, job_id, model=model.id)
        if not operation.done:
            return kit.JobStatus(state=kit.JobState.RUNNING)
        if operation.error:
            return kit.JobStatus(state=kit.JobState.FAILED, error=jobs.classify_operation_error(
                operation.error, model=model.id, job_id=job_id))
        response = operation.response or operation.result
        videos = [g.video for g in (getattr(response, "generated_videos", None) or []) if g.video]
        filtered = int(getattr(response, "rai_media_filtered_count", 0) or 0)
        reasons = list(getattr(response, "rai_media_filtered_reasons", None) or [])
        if not videos:
            why = "; ".join(reasons) or "no reason given"
            return kit.JobStatus(state=kit.JobState.FAILED, error=ContentRejectedError(
                f"vertex/{model.id}: shot {req.shot_id or '?'}: Veo's safety filter removed "
                f"{filtered or 'all'} video(s): {why}",
                provider=PROVIDER, model=model.id, job_id=job_id,
                hint="rephrase the prompt or change the reference images; the filtered job "
                "is normally not billed",
            ))
        if filtered:
            log.warning("vertex.partly_filtered", filtered=filtered, reasons=reasons)
        seen.update(filtered=filtered, reasons=reasons)
        return kit.JobStatus(state=kit.JobState.SUCCEEDED, outputs=videos)

    def fetch(job_id: str, done: kit.JobStatus, req: ClipRequest, ctx: CallContext) -> list[Path]:
        stem = "vertex-" + job_id.rsplit("/", 1)[-1][:36]
        paths, uris = output.save_videos(
            list(done.outputs), Path(ctx.workdir), stem,
            token=lambda: auth.bearer_token(target.credentials),
            transport=ctx.transport, timeout_s=ctx.timeout_s,
        )
        seen["uris"] = uris
        return paths

    policy = kit.JobPolicy.from_settings(settings, poll_initial_s=5.0, poll_max_s=30.0,
                                         deadline_s=1200.0)
    result = kit.run_clip_job_sync(request, context, submit=submit, status=status, fetch=fetch,
                                   policy=policy)
    return attrs.evolve(result, metadata={
        "operation": result.job_id,
        "location": target.location,
        "gcs_uris": seen.get("uris", []),
        "rai_filtered_count": seen.get("filtered", 0),
        "rai_filtered_reasons": seen.get("reasons", []),
        "requested": attrs.asdict(request, recurse=False, filter=lambda a, v: a.name in (
            "duration_s", "aspect_ratio", "resolution", "generate_audio", "candidates")),
    })


@hookimpl
def draft_film(request: DraftRequest, context: CallContext) -> DraftResult:
    """One drafting round with Gemini (sync; core runs it in a worker thread)."""
    from ministudio_vertex.draft import draft

    return draft(request, context)


@hookimpl
def check_credentials(provider: str, settings: Mapping[str, Any],
                      env: Mapping[str, str]) -> str | None:
    """Preflight: name what to set when no credentials would be found (no network)."""
    from ministudio_vertex.auth import credentials_problem

    return credentials_problem(settings, env)
