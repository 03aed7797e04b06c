"""Core's default plugin: the anchor-frame and look-continuity fallbacks.

Registered by :data:`ministudio.plugins.BUILTIN_PLUGINS`. Both hook implementations are
``trylast``, so any plugin marked ``tryfirst`` (e.g. a real face scorer) answers first. This
module is imported on every CLI start: heavy media libraries (and the request records) are
imported inside the hooks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ministudio.capabilities import Operation, ProviderSpec, ScorerInfo, Setting
from ministudio.hookspecs import hookimpl

if TYPE_CHECKING:  # annotations only: a listing builds no request records
    from ministudio.context import CallContext
    from ministudio.requests import AnchorFrame, AnchorFrameRequest, IdentityRequest, IdentityScore

MINISTUDIO_PLUGIN_API = 1

#: the look score's pass mark (mirrors ministudio.media.look.LOOK_THRESHOLD, kept here so that
#: listing providers does not import numpy)
LOOK_THRESHOLD = 0.55


@hookimpl
def register_providers() -> Iterator[ProviderSpec]:
    yield ProviderSpec(
        name="last-frame",
        operations={Operation.ANCHOR_FRAME},
        description="last sharp frame of the clip (skips fades/blur), lossless PNG (built in)",
        settings=(Setting(name="search_window_s", type="float",
                          description="how far back from the end to look for a sharp frame"),),
    )
    yield ProviderSpec(
        name="look",
        operations={Operation.IDENTITY},
        description="colour/structure continuity vs the references (built in, no model)",
        scorer=ScorerInfo(
            kind="look",
            threshold=LOOK_THRESHOLD,
            description="colour/structure continuity, NOT a face identity score",
        ),
        settings=(Setting(name="threshold", type="float", default=LOOK_THRESHOLD,
                          description="look score a shot must reach"),),
    )


@hookimpl(trylast=True)
def extract_anchor_frame(request: AnchorFrameRequest, context: CallContext) -> AnchorFrame:
    from ministudio.media.anchor import extract_anchor_frame as extract

    window = float(context.settings.get("search_window_s", request.search_window_s))
    return extract(request.clip, request.output_dir, search_window_s=window)


@hookimpl(trylast=True)
def score_identity(request: IdentityRequest, context: CallContext) -> IdentityScore:
    from ministudio.media.look import look_score

    threshold = float(context.settings.get("threshold", LOOK_THRESHOLD))
    return look_score(
        request.media, request.references, samples=request.samples, threshold=threshold
    )


@hookimpl
def register_executors() -> Iterator[Any]:
    """``local``, ``dask`` and ``ray`` (their libraries are imported when one is built)."""
    from ministudio.batch.executors import ExecutorSpec

    def local(address: str | None, **kw: Any) -> Any:
        from ministudio.batch.executors.local import LocalExecutor

        return LocalExecutor(address, **kw)

    def dask(address: str | None, **kw: Any) -> Any:
        from ministudio.batch.executors.dask import DaskExecutor

        return DaskExecutor(address, **kw)

    def ray(address: str | None, **kw: Any) -> Any:
        from ministudio.batch.executors.ray import RayExecutor

        return RayExecutor(address, **kw)

    yield ExecutorSpec(name="local", factory=local,
                       description="asyncio in this process (default)")
    yield ExecutorSpec(name="dask", factory=dask,
                       description="Dask distributed: a LocalCluster, or dask://scheduler:8786")
    yield ExecutorSpec(name="ray", factory=ray,
                       description="films here, local diffusers clips on Ray actors (one per GPU)")
