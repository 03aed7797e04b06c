"""``local``: the batch's tasks as asyncio tasks in this process (the default).

At most ``slots`` projects render at once (default 2); each render keeps its own bound on
provider calls (``--concurrency`` / ``render.concurrency``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["LocalExecutor"]


class LocalExecutor:
    name = "local"

    def __init__(self, address: str | None = None, *, slots: int | None = None) -> None:
        if address:
            from ministudio.errors import ConfigError

            raise ConfigError(f"the local executor takes no address (got {address!r})")
        self.slots = max(1, int(slots or 2))
        self._emit: Callable[[dict[str, Any]], None] = lambda _e: None

    async def start(self, emit: Callable[[dict[str, Any]], None]) -> None:
        self._emit = emit

    async def run(self, task: Any) -> list[Any]:
        from ministudio.batch.task import run_task_async

        return await run_task_async(task, self._emit)

    async def close(self) -> None:
        return None
