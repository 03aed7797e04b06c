"""The ``luma`` provider: Luma Dream Machine (Ray 2) on core's job kit.

One clip is one generation: ``POST /generations`` (``generation_type: video``), poll
``GET /generations/{id}`` until ``state`` is ``completed`` or ``failed`` (``failure_reason``),
download ``assets.video``. ``Authorization: Bearer $LUMAAI_API_KEY``. A first or last frame
becomes ``keyframes.frame0`` / ``frame1`` ``{"type": "image", "url": ...}`` once the local
image is uploaded to ``frame_upload_url`` (the API takes only URLs). Waiting, re-attaching,
transient errors and bad downloads are the job kit's (:mod:`ministudio.jobs`). Settings:
:data:`ministudio_luma.models.SETTINGS`; docs/providers/luma.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ministudio import (
    AuthenticationError,
    AuthSpec,
    CapabilityError,
    ContentRejectedError,
    JobFailedError,
    MinistudioError,
    Operation,
    PaymentRequiredError,
    ProviderError,
    ProviderSpec,
    hookimpl,
)
from ministudio.config import provider_settings_at_load
from ministudio.httperrors import classify

from ministudio_luma.models import BASE_URL, CATALOG, NAME, SETTINGS, configured_models

if TYPE_CHECKING:  # annotations only: listing the providers builds no request records
    from ministudio import CallContext, ClipRequest, ClipResult, jobs

MINISTUDIO_PLUGIN_API = 1
KEY = "LUMAAI_API_KEY"
UPLOAD_TOKEN = "LUMA_FRAME_UPLOAD_TOKEN"
_MODERATION = ("moderation", "not allowed", "blocked", "safety", "policy", "inappropriate")
_CREDIT = ("credit", "balance", "billing", "payment")



@hookimpl
def register_providers() -> Iterator[ProviderSpec]:
    try:
        models = configured_models(provider_settings_at_load(NAME))
    except MinistudioError:
        models = configured_models({})
    yield ProviderSpec(
        name=NAME, operations={Operation.CLIP}, clip_models=models, default_model=models[0].id,
        description="Luma Dream Machine Ray 2 (keyframes via an upload URL, loop, up to 4k)",
        auth=AuthSpec(env_vars=(KEY,), description="API key from "
                      "https://lumalabs.ai/dream-machine/api/keys"),
        docs_url="https://docs.lumalabs.ai/docs/api", settings=SETTINGS,
    )


def _headers(context: CallContext) -> dict[str, str]:
    key = context.secret(KEY)
    if not key:
        raise AuthenticationError(f"luma: {KEY} is not set", provider=NAME,
                                  hint=f"export {KEY}=... (https://lumalabs.ai/dream-machine/api/keys)")
    return {"Authorization": f"Bearer {key}"}


def error_for(status: int, detail: str, headers: Mapping[str, str], *,
              model: str | None = None) -> ProviderError:
    """Luma answers errors as ``{"detail": "..."}``: credit and moderation wording first."""
    low = detail.lower()
    kw: dict[str, Any] = {"provider": NAME, "model": model, "status_code": status}
    msg = f"luma: HTTP {status}: {detail}"
    if status < 500 and status != 429 and any(w in low for w in _CREDIT):
        return PaymentRequiredError(msg, hint="add credits to the Luma API account", **kw)
    if status < 500 and status != 429 and any(w in low for w in _MODERATION):
        return ContentRejectedError(msg, hint="Luma's moderation refused the prompt or a "
                                    "keyframe", **kw)
    return classify(status, detail, provider=NAME, model=model, headers=headers)


def _json(resp: Any, model: str | None = None) -> dict[str, Any]:
    if resp.status_code >= 400:
        try:
            detail = str(resp.json().get("detail", ""))
        except (ValueError, AttributeError):
            detail = resp.text[:300]
        raise error_for(resp.status_code, detail or "request failed", resp.headers, model=model)
    return dict(resp.json())


async def upload_frame(path: Path, context: CallContext) -> str:
    """PUT a local frame to ``frame_upload_url`` and return the URL Luma reads it from."""
    import hashlib

    settings = context.settings
    if not settings.get("frame_upload_url"):
        raise CapabilityError("luma: a first or last frame must be uploaded for Luma to read "
                              "it, and [providers.luma] frame_upload_url is not set",
                              provider=NAME, hint="set frame_upload_url (docs/providers/luma.md)")
    data = Path(path).read_bytes()
    name = hashlib.sha256(data).hexdigest()[:24] + (Path(path).suffix.lower() or ".png")
    kind = "image/jpeg" if name.endswith((".jpg", ".jpeg")) else "image/png"
    upload = str(settings["frame_upload_url"]).rstrip("/")
    headers = {"content-type": kind}
    token = context.secret(UPLOAD_TOKEN)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with context.http_client() as http:
        resp = await http.put(f"{upload}/{name}", content=data, headers=headers)
    if resp.status_code >= 400:
        raise classify(resp.status_code, f"frame upload to {upload} failed: "
                       f"{resp.text[:200]}", provider=NAME)
    public = str(settings.get("frame_public_url") or upload).rstrip("/")
    return f"{public}/{name}"


async def body(request: ClipRequest, context: CallContext) -> dict[str, Any]:
    """The JSON body of one generation (Dream Machine API, create a video generation)."""
    loop = request.extra.get("loop", context.settings.get("loop", False))
    out: dict[str, Any] = {
        "generation_type": "video", "model": request.model, "prompt": request.prompt,
        "resolution": request.resolution, "duration": f"{int(request.duration_s)}s",
        "aspect_ratio": request.aspect_ratio, "loop": bool(loop)}
    if request.extra.get("concepts"):
        out["concepts"] = [{"key": str(k)} for k in request.extra["concepts"]]
    keyframes = {}
    for key, frame in (("frame0", request.first_frame), ("frame1", request.last_frame)):
        if frame is not None:
            keyframes[key] = {"type": "image", "url": await upload_frame(frame, context)}
    if keyframes:
        out["keyframes"] = keyframes
    return out


def _client(context: CallContext) -> Any:
    return context.http_client(base_url=str(context.settings.get("base_url", BASE_URL)),
                               headers=_headers(context))


async def submit(request: ClipRequest, context: CallContext) -> str:
    payload = await body(request, context)
    async with _client(context) as http:
        return str(_json(await http.post("/generations", json=payload), request.model)["id"])


async def status(job_id: str, request: ClipRequest, context: CallContext) -> jobs.JobStatus:
    from ministudio import jobs  # the job kit only when a job runs: a listing imports none

    async with _client(context) as http:
        gen = _json(await http.get(f"/generations/{job_id}"), request.model)
    state = gen.get("state")
    if state == "completed":
        video = (gen.get("assets") or {}).get("video")
        return jobs.JobStatus(state="succeeded", outputs=[video] if video else [], detail=gen)
    if state == "failed":
        why = str(gen.get("failure_reason") or "no reason given")
        kind = ContentRejectedError if any(w in why.lower() for w in _MODERATION) \
            else JobFailedError
        return jobs.JobStatus(state="failed", detail=gen, error=kind(
            f"luma: generation {job_id} failed: {why}", provider=NAME, model=request.model,
            job_id=job_id))
    return jobs.JobStatus(state="queued" if state == "queued" else "running", detail=gen)


async def fetch(job_id: str, done: jobs.JobStatus, request: ClipRequest,
                context: CallContext) -> list[Path]:
    from ministudio import jobs

    return [await jobs.download(url, context.workdir / f"{job_id}.mp4", context, provider=NAME)
            for url in done.outputs]


@hookimpl
async def generate_clip(request: ClipRequest, context: CallContext) -> ClipResult:
    from ministudio import jobs

    model = next(m for m in CATALOG if m.id == request.model)
    cost = model.pricing.estimate_request(request) if model.pricing else None
    return await jobs.run_clip_job(request, context, submit=submit, status=status, fetch=fetch,
                                   cost=cost)
