"""Async scheduling: a dependency graph of shots, run as concurrently as the limits allow.

A shot that ``continue``s waits for its predecessor's result (the anchor frame); all other
shots are independent, so separate chains run side by side. Waiting never holds a slot: a
slot is taken only around a provider call (:class:`Limits.slot`), bounded by the render's
``--concurrency`` and by each model's declared ``max_concurrency`` and ``requests_per_minute``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

import attrs

__all__ = ["BlockedError", "Limits", "Outcome", "run_graph"]


class BlockedError(Exception):
    """A node did not run because a node it depends on failed."""


@attrs.frozen(kw_only=True)
class Outcome:
    id: str
    result: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Limits:
    """Slots for provider calls: one render-wide bound plus one per (provider, model)."""

    def __init__(self, concurrency: int) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self._global = asyncio.Semaphore(concurrency)
        self._models: dict[tuple[str, str], asyncio.Semaphore] = {}
        self._rates: dict[tuple[str, str], Any] = {}

    @contextlib.asynccontextmanager
    async def slot(
        self, provider: str, model: str | None, *, max_concurrency: int | None = None,
        requests_per_minute: int | None = None,
    ) -> AsyncIterator[None]:
        key = (provider, model or "")
        sem = None
        if max_concurrency:
            sem = self._models.setdefault(key, asyncio.Semaphore(max_concurrency))
        async with contextlib.AsyncExitStack() as stack:
            # the model's own bound first, so a busy model never holds a render-wide slot
            if sem is not None:
                await stack.enter_async_context(sem)
            if requests_per_minute:
                from aiolimiter import AsyncLimiter

                limiter = self._rates.get(key)
                if limiter is None:
                    limiter = self._rates[key] = AsyncLimiter(requests_per_minute, 60)
                await limiter.acquire()
            await stack.enter_async_context(self._global)
            yield


async def run_graph(
    order: Sequence[str],
    depends_on: Mapping[str, str | None],
    work: Callable[[str, Any], Awaitable[Any]],
) -> dict[str, Outcome]:
    """Run ``work(node, predecessor_result)`` for every node as soon as its predecessor is done.

    A node whose predecessor failed is not run; its outcome carries a :class:`BlockedError`.
    One node's failure never cancels independent nodes (their results are kept).
    """
    loop = asyncio.get_running_loop()
    futures: dict[str, asyncio.Future[Any]] = {n: loop.create_future() for n in order}
    for node, dep in depends_on.items():
        if dep is not None and dep not in futures:
            raise ValueError(f"{node} depends on unknown node {dep}")

    async def one(node: str) -> Outcome:
        dep = depends_on.get(node)
        prev: Any = None
        if dep is not None:
            try:
                prev = await asyncio.shield(futures[dep])
            except BaseException as exc:  # noqa: BLE001 - the predecessor failed
                err = BlockedError(f"waits for {dep}, which did not finish")
                err.__cause__ = exc
                futures[node].set_exception(err)
                return Outcome(id=node, error=err)
        try:
            result = await work(node, prev)
        except asyncio.CancelledError:
            futures[node].cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - recorded and reported by the caller
            futures[node].set_exception(exc)
            return Outcome(id=node, error=exc)
        futures[node].set_result(result)
        return Outcome(id=node, result=result)

    outcomes = await asyncio.gather(*(one(n) for n in order))
    for fut in futures.values():  # exceptions were reported through outcomes
        if fut.done() and not fut.cancelled():
            fut.exception()
    return {o.id: o for o in outcomes}
