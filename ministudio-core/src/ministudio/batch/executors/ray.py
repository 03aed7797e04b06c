"""``ray``: films render here, clips of local diffusers models on a pool of Ray actors.

Open video models (Wan, LTX-Video, CogVideoX through ``ministudio-local[diffusers]``) are
GPU-bound and slow to load: a 14B pipeline takes minutes and most of a GPU's memory. So the
pool keeps **one actor per GPU** (``num_gpus=1`` each; on a machine without GPUs one actor per
CPU "slot", ``num_cpus=1``), each a process that loads its pipeline on its first shot and keeps
it loaded (the diffusers runner caches pipelines per process). The films themselves render in
this process as with ``local`` (``slots`` at once); every clip of a routed provider, from any
film, goes to the next free actor, so N GPUs work on N shots at a time whichever films they
belong to.

The routed providers (``providers``, default ``wan``, ``ltx-video``, ``cogvideox``) are taken
over by :class:`RayClipPool`: it offers the same specs, so plans, prices and checks do not
change, and sends each request (with its start/end frames and reference images as bytes) to
an actor, which calls the real provider plugin and returns the clip's bytes. Actors need the
same packages and the weights (``[providers.NAME.weights]``, the same paths on every node, or
a Hugging Face cache). ``--executor ray`` starts a local Ray instance (or uses the running
one); ``--executor ray://host:10001`` connects to a cluster; ``address="auto"`` joins the one
``ray start`` set up on this node.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ministudio.batch.executors import require
from ministudio.hookspecs import PLUGIN_API, hookimpl

__all__ = ["DIFFUSERS_PROVIDERS", "ClipActor", "RayClipPool", "RayExecutor"]

#: the local diffusers providers of ministudio-local
DIFFUSERS_PROVIDERS = ("wan", "ltx-video", "cogvideox")


def _files_of(request: Any) -> dict[str, Path]:
    """Every local file a clip request refers to, by a key the actor rewrites."""
    files: dict[str, Path] = {}
    if request.first_frame is not None:
        files["first_frame"] = Path(request.first_frame)
    if request.last_frame is not None:
        files["last_frame"] = Path(request.last_frame)
    for i, ref in enumerate(request.reference_images):
        files[f"ref{i}"] = Path(ref.path)
    extend = request.extra.get("extend_from")
    if extend:
        files["extend_from"] = Path(extend)
    return files


class ClipActor:
    """The body of one Ray actor: a process that renders clips with the installed plugins."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = dict(os.environ if env is None else env)
        self.id = f"{socket.gethostname()}:{os.getpid()}"
        self._manager: Any = None
        self.calls = 0

    def ready(self) -> str:
        return self.id

    def gpu_ids(self) -> list[Any]:
        """The GPUs Ray gave this actor (empty on CPU)."""
        import ray

        return list(ray.get_gpu_ids())

    def generate(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        import inspect
        import shutil
        import tempfile

        from ministudio.capabilities import Operation
        from ministudio.context import CallContext
        from ministudio.converter import structure, unstructure
        from ministudio.plugins import PluginManager
        from ministudio.requests import ClipRequest

        if self._manager is None:
            self._manager = PluginManager(env=self.env)
        self.calls += 1
        work = Path(tempfile.mkdtemp(prefix="ministudio-ray-"))
        try:
            data = dict(payload["request"])
            paths: dict[str, str] = {}
            for key, (name, body) in payload["files"].items():
                path = work / "in" / key / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(body)
                paths[key] = str(path)
            if "first_frame" in paths:
                data["first_frame"] = paths["first_frame"]
            if "last_frame" in paths:
                data["last_frame"] = paths["last_frame"]
            data["reference_images"] = [
                {**ref, "path": paths[f"ref{i}"]} for i, ref in enumerate(data["reference_images"])
            ]
            if "extend_from" in paths:
                data["extra"] = {**data["extra"], "extend_from": paths["extend_from"]}
            request = structure(data, ClipRequest, what="clip request")
            out = work / "out"
            out.mkdir()
            context = CallContext(workdir=out, settings=payload["settings"], env=self.env,
                                  timeout_s=payload.get("timeout_s") or 60.0)
            caller = self._manager.caller_for("generate_clip", request.provider, Operation.CLIP)
            result = caller(request=request, context=context)
            if inspect.isawaitable(result):
                result = asyncio.run(result)  # type: ignore[arg-type]
            body = Path(result.path).read_bytes()
            meta = unstructure(result)
            meta["path"] = Path(result.path).name
            meta.pop("alternates", None)
            return {"body": body, "result": meta, "actor": self.id}
        finally:
            shutil.rmtree(work, ignore_errors=True)


class RayClipPool:
    """A plugin that offers the routed providers' specs and renders their clips on actors.

    ``calls`` counts shots per actor id; ``shots`` lists ``(actor id, shot id, device)`` of
    every clip rendered."""

    MINISTUDIO_PLUGIN_API = PLUGIN_API

    def __init__(self, actors: Iterable[tuple[str, Any]], providers: Iterable[str]) -> None:
        self.name = "ray-pool"
        self.actors = list(actors)
        self.replaces_providers = tuple(providers)
        self.calls: dict[str, int] = {aid: 0 for aid, _ in self.actors}
        self.shots: list[tuple[str, str | None, str | None]] = []
        self._specs: list[Any] = []
        self._idle: asyncio.Queue[tuple[str, Any]] | None = None

    def adopt(self, specs: Iterable[Any]) -> None:
        """Offer these specs (the replaced plugin's), unchanged."""
        self._specs = [attrs.evolve(s, plugin=None) for s in specs]

    @hookimpl
    def register_providers(self) -> list[Any]:
        return list(self._specs)

    def _queue(self) -> asyncio.Queue[tuple[str, Any]]:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for actor in self.actors:
                self._idle.put_nowait(actor)
        return self._idle

    @hookimpl
    async def generate_clip(self, request: Any, context: Any) -> Any:
        from ministudio.converter import structure, unstructure
        from ministudio.requests import ClipResult

        files = {key: (path.name, path.read_bytes()) for key, path in _files_of(request).items()}
        payload = {"request": unstructure(request), "files": files,
                   "settings": dict(context.settings), "timeout_s": context.timeout_s}
        queue = self._queue()
        aid, actor = await queue.get()  # the next free actor
        try:
            context.log.info("ray.shot", actor=aid, shot=request.shot_id)
            answer = await actor.generate.remote(payload)
        finally:
            queue.put_nowait((aid, actor))
        self.calls[aid] = self.calls.get(aid, 0) + 1
        meta = dict(answer["result"])
        self.shots.append((aid, request.shot_id, (meta.get("metadata") or {}).get("device")))
        path = Path(context.workdir) / meta["path"]
        path.write_bytes(answer["body"])
        meta["path"] = str(path)
        meta["metadata"] = {**(meta.get("metadata") or {}), "ray_actor": answer["actor"]}
        return structure(meta, ClipResult, what="clip result")


class RayExecutor:
    name = "ray"

    def __init__(self, address: str | None = None, *, slots: int | None = None,
                 actors: int | None = None, providers: Iterable[str] = DIFFUSERS_PROVIDERS,
                 num_gpus: float | None = None, init: Mapping[str, Any] | None = None) -> None:
        self.ray = require("ray", "ray")
        self.address = address
        self.slots = max(1, int(slots or 2))
        self.n_actors = actors
        self.providers = tuple(providers)
        self.num_gpus = num_gpus
        self.init_kwargs = dict(init or {})
        self._started_ray = False
        self.pool: RayClipPool | None = None
        self._emit: Callable[[dict[str, Any]], None] = lambda _e: None

    def _start(self) -> RayClipPool:
        ray = self.ray
        if not ray.is_initialized():
            address = self.address
            if address and not address.startswith(("ray://", "auto")) and ":" in address:
                address = f"ray://{address}"
            ray.init(address=address, include_dashboard=False, **self.init_kwargs)
            self._started_ray = True
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        per_gpu = self.num_gpus if self.num_gpus is not None else (1 if gpus else 0)
        count = self.n_actors or (gpus if per_gpu else 1) or 1
        options: dict[str, Any] = {"num_gpus": per_gpu} if per_gpu else {"num_cpus": 1}
        remote = ray.remote(**options)(ClipActor)
        handles = [remote.remote(dict(os.environ)) for _ in range(count)]
        ids = ray.get([h.ready.remote() for h in handles])
        return RayClipPool(zip(ids, handles, strict=True), self.providers)

    async def start(self, emit: Callable[[dict[str, Any]], None]) -> None:
        self._emit = emit
        try:
            self.pool = await asyncio.to_thread(self._start)
        except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
            from ministudio.errors import ConfigError

            raise ConfigError(f"cannot start Ray{f' at {self.address}' if self.address else ''}"
                              f": {type(exc).__name__}: {exc}") from exc
        emit({"event": "batch.actors", "actors": list(self.pool.calls)})

    async def run(self, task: Any) -> list[Any]:
        from ministudio.batch.task import run_task_async

        task = attrs.evolve(task, plugins=(*task.plugins, self.pool))
        return await run_task_async(task, self._emit)

    async def close(self) -> None:
        ray = self.ray
        if self.pool is not None:
            for _aid, actor in self.pool.actors:
                ray.kill(actor)
        if self._started_ray:
            await asyncio.to_thread(ray.shutdown)
