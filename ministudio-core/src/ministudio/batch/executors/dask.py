"""``dask``: each task (the films of one project) is one Dask task on a distributed cluster.

``--executor dask`` starts a ``distributed.LocalCluster`` on this machine (worker processes,
one thread each; ``n_workers`` defaults to the CPU count, at most 4); ``--executor
dask://scheduler:8786`` connects to a running scheduler. Workers need the same packages
(ministudio-core and the provider plugins the films use) and the project folders at the same
paths (shared storage), and the credentials of the providers and of the output store in their
own environment. Progress events travel back through Dask's event topics.

If a worker dies mid-film, the scheduler runs the task again on another worker: the film's
ledger and media store live in its project folder, so the new run reuses every clip and line
already stored and renders only what is missing. A task whose workers keep dying (Dask's
``allowed-failures``) fails its films with ``KilledWorker``; the rest of the batch goes on.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from ministudio.batch.executors import require

__all__ = ["TOPIC", "DaskExecutor"]

TOPIC = "ministudio.batch"


def _worker_task(task: Any) -> list[Any]:
    """What runs on the worker: render the task, sending events to the client."""
    from distributed import get_worker

    from ministudio.batch.task import run_task

    worker = get_worker()

    def emit(event: dict[str, Any]) -> None:
        try:
            worker.log_event(TOPIC, event)
        except Exception:  # noqa: BLE001 - progress is best effort; the result is what counts
            pass

    return run_task(task, emit)


class DaskExecutor:
    name = "dask"

    def __init__(self, address: str | None = None, *, slots: int | None = None,
                 n_workers: int | None = None, threads_per_worker: int = 1,
                 processes: bool = True, client: Any = None) -> None:
        require("distributed", "dask")
        self.address = address
        self._slots = slots
        self.n_workers = n_workers or min(4, os.cpu_count() or 1)
        self.threads_per_worker = threads_per_worker
        self.processes = processes
        self.client = client
        self._own_client = client is None
        self.cluster: Any = None
        self.slots = slots or 1

    def _connect(self) -> None:
        from distributed import Client, LocalCluster

        if self.client is None:
            if self.address:
                self.client = Client(self.address if "://" in self.address
                                     else f"tcp://{self.address}", timeout="10s")
            else:
                self.cluster = LocalCluster(
                    n_workers=self.n_workers, threads_per_worker=self.threads_per_worker,
                    processes=self.processes, dashboard_address=None,
                )
                self.client = Client(self.cluster)

    async def start(self, emit: Callable[[dict[str, Any]], None]) -> None:
        try:
            await asyncio.to_thread(self._connect)
        except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
            from ministudio.errors import ConfigError

            where = f"the Dask scheduler at {self.address}" if self.address else \
                "a Dask LocalCluster"
            raise ConfigError(f"cannot start {where}: {type(exc).__name__}: {exc}",
                              hint="check the address (dask://HOST:8786) and that the "
                                   "scheduler runs") from exc

        def forward(event: Any) -> None:
            msg = event[1] if isinstance(event, tuple) and len(event) == 2 else event
            if isinstance(msg, dict):
                emit(msg)

        self.client.subscribe_topic(TOPIC, forward)
        if self._slots is None:
            info = await asyncio.to_thread(self.client.scheduler_info)
            workers = info.get("workers", {}).values()
            self.slots = max(1, sum(int(w.get("nthreads", 1)) for w in workers))

    async def run(self, task: Any) -> list[Any]:
        future = self.client.submit(_worker_task, task, pure=False,
                                    key=f"ministudio-film-{os.urandom(6).hex()}")
        try:
            return await asyncio.to_thread(future.result)
        except asyncio.CancelledError:
            future.cancel()  # the batch was interrupted: stop the task, free the waiting thread
            raise
        finally:
            future.release()

    async def close(self) -> None:
        def shut() -> None:
            if self.client is not None:
                try:
                    self.client.unsubscribe_topic(TOPIC)
                except Exception:  # noqa: BLE001
                    pass
                if self._own_client:
                    self.client.close()
            if self.cluster is not None:
                self.cluster.close()

        if self.client is not None or self.cluster is not None:
            await asyncio.to_thread(shut)
