"""The ``kling`` provider: Kling AI text-to-video and image-to-video on core's job kit.

One clip is one Kling task: ``POST /v1/videos/text2video`` (or ``image2video`` when the shot
has a first or last frame), poll ``GET /v1/videos/{kind}/{task_id}`` until ``task_status`` is
``succeed`` or ``failed``, download ``task_result.videos[0].url``. Every request carries a
short-lived JWT (HS256, ``iss`` = access key, 30 min) signed with the secret key. The job id
handed to core is ``{kind}/{task_id}``, so a re-attach after a crash knows where to poll.
Waiting, re-attaching, transient errors and bad downloads are the job kit's
(:mod:`ministudio.jobs`). Settings: :data:`ministudio_kling.models.SETTINGS`;
docs/providers/kling.md.
"""

from __future__ import annotations

import base64
import time
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
    ProviderUnavailableError,
    RateLimitedError,
    hookimpl,
)
from ministudio.config import provider_settings_at_load
from ministudio.httperrors import classify, retry_after

from ministudio_kling.models import (
    BASE_URL,
    CATALOG,
    MASTER,
    NAME,
    SETTINGS,
    TAKES_CFG,
    configured_models,
)

if TYPE_CHECKING:  # annotations only: listing the providers builds no request records
    from ministudio import CallContext, ClipModel, ClipRequest, ClipResult, jobs

MINISTUDIO_PLUGIN_API = 1
KEYS = ("KLING_ACCESS_KEY", "KLING_SECRET_KEY")



@hookimpl
def register_providers() -> Iterator[ProviderSpec]:
    try:
        models = configured_models(provider_settings_at_load(NAME))
    except MinistudioError:
        models = configured_models({})
    yield ProviderSpec(
        name=NAME, operations={Operation.CLIP}, clip_models=models, default_model=models[0].id,
        description="Kling AI text/image-to-video (first and last frame, std/pro modes)",
        auth=AuthSpec(env_vars=KEYS, description="access key and secret key from the Kling "
                      "developer console (signed into a 30-minute JWT per request)"),
        docs_url="https://app.klingai.com/global/dev/document-api", settings=SETTINGS,
    )


# -- requests ---------------------------------------------------------------------------------


def _token(context: CallContext) -> str:
    import jwt

    access, secret = (context.secret(k) for k in KEYS)
    if not access or not secret:
        missing = [k for k in KEYS if not context.secret(k)]
        raise AuthenticationError(f"kling: {' and '.join(missing)} not set", provider=NAME,
                                  hint="export KLING_ACCESS_KEY and KLING_SECRET_KEY "
                                  "(Kling developer console, API keys)")
    now = int(time.time())
    return jwt.encode({"iss": access, "exp": now + 1800, "nbf": now - 5}, secret,
                      algorithm="HS256", headers={"typ": "JWT"})


def _client(context: CallContext) -> Any:
    return context.http_client(base_url=str(context.settings.get("base_url", BASE_URL)),
                               headers={"Authorization": f"Bearer {_token(context)}"})


#: Kling's own error codes (API reference, "General Information" > "Error Code")
_AUTH = {1000, 1001, 1002, 1003, 1004, 1103, 1304}
_PAYMENT = {1101, 1102}
_CONTENT = {1300, 1301}
_RATE = {1302, 1303}
_SERVER = {5000, 5001, 5002}


def error_for(status: int, body: Any, headers: Mapping[str, str], *,
              model: str | None = None) -> ProviderError:
    """The error for a Kling answer: its ``code`` first (an empty account is HTTP 429 with
    code 1102: a payment error, not a rate limit), then the HTTP status."""
    code = body.get("code") if isinstance(body, dict) else None
    message = str(body.get("message", "")) if isinstance(body, dict) else str(body)[:300]
    msg = f"kling: {message or 'request failed'} (HTTP {status}, code {code})"
    kw: dict[str, Any] = {"provider": NAME, "model": model, "status_code": status}
    if code in _AUTH:
        return AuthenticationError(msg, hint="check KLING_ACCESS_KEY / KLING_SECRET_KEY and "
                                   "the machine's clock (the token is time-limited)", **kw)
    if code in _PAYMENT or code == 1100:
        return PaymentRequiredError(msg, hint="the Kling account has no resource pack left or "
                                    "is in arrears: top it up in the developer console", **kw)
    if code in _CONTENT:
        return ContentRejectedError(msg, hint="Kling's content policy refused the prompt or "
                                    "image", **kw)
    if code in _RATE:
        return RateLimitedError(msg, retry_after=retry_after(headers), **kw)
    if code in _SERVER:
        return ProviderUnavailableError(msg, **kw)
    return classify(status, message, provider=NAME, model=model, headers=headers,
                    code=str(code or ""))


def _data(resp: Any, model: str | None = None) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        body = resp.text[:300]
    if resp.status_code >= 400 or not isinstance(body, dict) or body.get("code") not in (0, None):
        raise error_for(resp.status_code, body, resp.headers, model=model)
    return dict(body.get("data") or {})


def _b64(path: Path) -> str:
    return base64.b64encode(Path(path).read_bytes()).decode()  # no data: prefix (Kling)


def _find(request: ClipRequest) -> ClipModel:
    return next(m for m in CATALOG if m.id == request.model)


def check(request: ClipRequest, settings: Mapping[str, Any]) -> None:
    """What the declared capabilities cannot say: the last frame and sound need professional
    mode (1080p), and kling-v2-6 cannot do both at once. Raised before any HTTP."""
    pro = request.resolution == "1080p"
    problems = []
    if request.last_frame is not None and not pro:
        problems.append("a last frame (image_tail) needs professional mode: resolution 1080p")
    if request.generate_audio and not pro:
        problems.append("sound needs professional mode: resolution 1080p")
    if request.generate_audio and request.last_frame is not None:
        problems.append("kling-v2-6 cannot generate sound with a last frame")
    if "cfg_scale" in request.extra and request.model not in TAKES_CFG:
        problems.append(f"{request.model} takes no cfg_scale (only {', '.join(TAKES_CFG)})")
    if problems:
        raise CapabilityError(f"kling {request.model}: " + "; ".join(problems),
                              violations=problems, provider=NAME, model=request.model)


def body(request: ClipRequest, settings: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The endpoint kind and JSON body for one clip (API reference: text2video, image2video)."""
    frames = request.first_frame is not None or request.last_frame is not None
    kind = "image2video" if frames else "text2video"
    out: dict[str, Any] = {"model_name": request.model, "prompt": request.prompt,
                           "duration": str(int(request.duration_s))}
    if request.model not in MASTER:
        out["mode"] = "pro" if request.resolution == "1080p" else "std"
    if request.negative_prompt:
        out["negative_prompt"] = request.negative_prompt
    if request.model == "kling-v2-6":
        out["sound"] = "on" if request.generate_audio else "off"
    cfg = request.extra.get("cfg_scale", settings.get("cfg_scale"))
    if cfg is not None and request.model in TAKES_CFG:
        out["cfg_scale"] = float(cfg)
    if request.first_frame is not None:
        out["image"] = _b64(request.first_frame)
    if request.last_frame is not None:
        out["image_tail"] = _b64(request.last_frame)
    if not frames:
        out["aspect_ratio"] = request.aspect_ratio
    return kind, out


async def submit(request: ClipRequest, context: CallContext) -> str:
    kind, payload = body(request, context.settings)
    async with _client(context) as http:
        data = _data(await http.post(f"/v1/videos/{kind}", json=payload), request.model)
    return f"{kind}/{data['task_id']}"


async def status(job_id: str, request: ClipRequest, context: CallContext) -> jobs.JobStatus:
    from ministudio import jobs  # the job kit only when a job runs: a listing imports none

    async with _client(context) as http:
        task = _data(await http.get(f"/v1/videos/{job_id}"), request.model)
    state = task.get("task_status")
    if state == "succeed":
        videos = (task.get("task_result") or {}).get("videos") or []
        return jobs.JobStatus(state="succeeded", outputs=[v["url"] for v in videos], detail=task)
    if state == "failed":
        why = task.get("task_status_msg") or "no reason given"
        kind = ContentRejectedError if any(w in why.lower() for w in (
            "risk", "policy", "sensitive", "safety", "content")) else JobFailedError
        return jobs.JobStatus(state="failed", detail=task, error=kind(
            f"kling: task {job_id} failed: {why}", provider=NAME, model=request.model,
            job_id=job_id))
    return jobs.JobStatus(state="queued" if state == "submitted" else "running", detail=task)


async def fetch(job_id: str, done: jobs.JobStatus, request: ClipRequest,
                context: CallContext) -> list[Path]:
    from ministudio import jobs

    task_id = job_id.rsplit("/", 1)[-1]
    return [await jobs.download(url, context.workdir / f"{task_id}-{i}.mp4", context,
                                provider=NAME) for i, url in enumerate(done.outputs)]


@hookimpl
async def generate_clip(request: ClipRequest, context: CallContext) -> ClipResult:
    from ministudio import jobs

    check(request, context.settings)
    model = _find(request)
    cost = model.pricing.estimate_request(request) if model.pricing else None
    return await jobs.run_clip_job(
        request, context, submit=submit, status=status, fetch=fetch, cost=cost,
        metadata={"mode": "pro" if request.resolution == "1080p" else "std"})
