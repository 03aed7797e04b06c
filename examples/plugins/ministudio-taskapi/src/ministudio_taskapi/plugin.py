"""The ``taskapi`` provider: create a task, poll it, download the video, on core's job kit.

The API (``POST /v1/tasks``, ``GET /v1/tasks/{id}``, a ``video_url`` to download) is the shape
of Kling, Luma and Runway; :class:`ministudio.testing.taskapi.FakeTaskAPI` serves it in tests.
Everything about waiting, re-attaching, transient errors and bad downloads is the kit's.
Settings (``[providers.taskapi]``): ``base_url``, ``poll_initial_s``, ``poll_max_s``,
``poll_deadline_s``, ``fetch_attempts``, ``http_timeout_s``, ``timeout_s``.
"""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ministudio import (
    AuthenticationError,
    AuthSpec,
    ClipModel,
    JobFailedError,
    Operation,
    Pricing,
    ProviderSpec,
    hookimpl,
)
from ministudio.httperrors import classify

if TYPE_CHECKING:  # annotations only: listing the providers builds no request records
    from ministudio import ClipRequest, ClipResult, jobs

MINISTUDIO_PLUGIN_API = 1
NAME = "taskapi"
BASE_URL = "https://tasks.example.test"

MODEL = ClipModel(
    id="task-1", min_duration_s=1.0, max_duration_s=10.0, aspect_ratios=("16:9", "9:16"),
    resolutions=("360p", "720p"), fps=(24,), first_frame=True, resumable=True,
    pricing=Pricing(per_second=Decimal("0.10"), as_of=date(2026, 12, 1),
                    source="example price of a fictional API"),
)


@hookimpl
def register_providers():  # type: ignore[no-untyped-def]
    yield ProviderSpec(name=NAME, operations={Operation.CLIP}, clip_models=(MODEL,),
                       description="async-task video API (job kit example)",
                       auth=AuthSpec(env_vars=("TASKAPI_KEY",)))


def _auth(context: Any) -> dict[str, str]:
    key = context.secret("TASKAPI_KEY")
    if not key:
        raise AuthenticationError("taskapi: TASKAPI_KEY is not set", provider=NAME,
                                  hint="export TASKAPI_KEY=... (see the provider's README)")
    return {"Authorization": f"Bearer {key}"}


def _client(context: Any) -> Any:
    return context.http_client(base_url=context.settings.get("base_url", BASE_URL),
                               headers=_auth(context))


def _check(resp: Any) -> Any:
    if resp.status_code >= 400:
        raise classify(resp.status_code, resp.text[:300], provider=NAME, headers=resp.headers)
    return resp.json()


async def submit(request: ClipRequest, context: Any) -> str:
    body: dict[str, Any] = {"prompt": request.prompt, "duration": request.duration_s,
                            "aspect_ratio": request.aspect_ratio}
    if request.first_frame is not None:
        body["image"] = base64.b64encode(request.first_frame.read_bytes()).decode()
    async with _client(context) as http:
        return str(_check(await http.post("/v1/tasks", json=body))["id"])


async def status(job_id: str, request: ClipRequest, context: Any) -> jobs.JobStatus:
    from ministudio import jobs  # the job kit only when a job runs: a listing imports none

    async with _client(context) as http:
        task = _check(await http.get(f"/v1/tasks/{job_id}"))
    if task["status"] == "succeeded":
        return jobs.JobStatus(state="succeeded", outputs=[task["video_url"]])
    if task["status"] == "failed":
        why = (task.get("error") or {}).get("message", "no reason given")
        return jobs.JobStatus(state="failed", error=JobFailedError(
            f"taskapi: task {job_id} failed: {why}", provider=NAME, job_id=job_id))
    return jobs.JobStatus(state="running", progress=task.get("progress"))


async def fetch(job_id: str, done: jobs.JobStatus, request: ClipRequest, context: Any) -> Any:
    from ministudio import jobs

    return await jobs.download(done.outputs[0], context.workdir / f"{job_id}.mp4", context,
                               provider=NAME, headers=_auth(context))


@hookimpl
async def generate_clip(request: ClipRequest, context: Any) -> ClipResult:
    from ministudio import jobs

    return await jobs.run_clip_job(request, context, submit=submit, status=status, fetch=fetch)
