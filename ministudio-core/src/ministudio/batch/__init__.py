"""Batch renders: many films, a bounded number at once, on an executor (docs/batch.md).

``run_batch(sources, out=..., executor="local"|"dask"|"dask://host:8786"|"ray", jobs=N,
max_cost=..., emit=...)`` returns a :class:`BatchSummary`; ``run_batch_async`` inside an event
loop. Sources are film files, folders, globs or a manifest (:mod:`ministudio.batch.manifest`).
Nothing heavy is imported here: dask, ray and fsspec load only when an executor or a sink
needs them.
"""

from __future__ import annotations

from ministudio.batch.manifest import BatchJob, Manifest, collect_jobs, load_manifest
from ministudio.batch.runner import estimate_jobs, run_batch, run_batch_async
from ministudio.batch.summary import BatchSummary, FilmResult

__all__ = ["BatchJob", "BatchSummary", "FilmResult", "Manifest", "collect_jobs", "estimate_jobs",
           "load_manifest", "run_batch", "run_batch_async"]
