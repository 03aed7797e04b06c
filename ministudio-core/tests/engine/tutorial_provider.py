"""A job provider written exactly as docs/plugin-tutorial.md says, *without* the job kit:
report the job as soon as it exists, declare ``resumable=True``, classify errors, don't retry.

It talks to :class:`ministudio.testing.taskapi.FakeTaskAPI` through ``context.http_client()``.
Everything that keeps it from paying twice is core's job (engine re-attach), which is what the
tests using it check."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from ministudio import (
    AuthSpec,
    ClipModel,
    ClipResult,
    JobFailedError,
    Operation,
    Pricing,
    ProviderSpec,
    hookimpl,
)
from ministudio.httperrors import classify

MINISTUDIO_PLUGIN_API = 1
BASE = "https://tasks.example.test"

MODEL = ClipModel(
    id="task-1", min_duration_s=0.5, max_duration_s=10.0, aspect_ratios=("16:9", "9:16"),
    resolutions=("360p", "720p"), fps=(24,), first_frame=True, resumable=True,
    pricing=Pricing(per_second=Decimal("0.10")),
)


@hookimpl
def register_providers():  # type: ignore[no-untyped-def]
    yield ProviderSpec(name="tutorial", operations={Operation.CLIP},
                       description="tutorial-style job provider", clip_models=(MODEL,),
                       auth=AuthSpec(env_vars=("TASKAPI_KEY",)))


def _raise_for(resp) -> None:  # type: ignore[no-untyped-def]
    if resp.status_code >= 400:
        raise classify(resp.status_code, resp.text[:200], provider="tutorial",
                       headers=resp.headers)


@hookimpl
async def generate_clip(request, context):  # type: ignore[no-untyped-def]
    auth = {"Authorization": f"Bearer {context.secret('TASKAPI_KEY')}"}
    async with context.http_client(base_url=BASE, headers=auth) as http:
        if context.resume_job_id:
            job = context.resume_job_id
        else:
            resp = await http.post("/v1/tasks", json={
                "prompt": request.prompt, "duration": request.duration_s,
                "aspect_ratio": request.aspect_ratio})
            _raise_for(resp)
            job = resp.json()["id"]
            context.report_job(job)
        while True:
            resp = await http.get(f"/v1/tasks/{job}")
            _raise_for(resp)
            body = resp.json()
            if body["status"] == "succeeded":
                break
            if body["status"] == "failed":
                raise JobFailedError(f"tutorial: job {job} failed", job_id=job)
            await asyncio.sleep(0.2)
        resp = await http.get(body["video_url"])
        _raise_for(resp)
        path = context.workdir / f"{job}.mp4"
        path.write_bytes(resp.content)
    return ClipResult(path=path, provider=request.provider, model=request.model,
                      duration_s=request.duration_s, width=320, height=180, fps=24, job_id=job)
