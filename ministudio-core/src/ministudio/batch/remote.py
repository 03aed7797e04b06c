"""Projects on an fsspec URL: a worker with no shared folder renders a film stored remotely.

A film given as a URL (``s3://bucket/films/ep1/film.yaml``) has its project folder at the
URL's parent. The task that renders it (one writer per project, as for local projects):

1. **pulls** the project into a working copy on the worker (``<temp>/ministudio-projects/
   <hash of the URL>/``, kept between tasks): the film, its reference images, and its state,
   ``.ministudio/ledger.sqlite`` (always the remote one, the source of truth) and the media
   store (content-addressed: only files the copy lacks are fetched); ``out/`` is not pulled;
2. renders the working copy like any local project (cache, ledger, resume);
3. **pushes** the state back: new media files first, then the ledger, each through a
   temporary key and a move (see :mod:`ministudio.batch.sinks`), so the remote project never
   holds a ledger naming media it lacks. This runs after a failed film too: what it paid for
   is kept.

A film whose project lives on a URL is delivered to the batch's ``--out`` (any folder or
URL) or, without one, to ``<project URL>/out/<name>/``. The remote project must not be
rendered by two batches at once: the last ledger pushed would win.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ministudio.batch.sinks import Sink, SinkError, _partial, redact_url
from ministudio.log import get_logger

__all__ = ["pull_project", "push_state", "working_copy"]

log = get_logger(__name__)

STATE = ".ministudio"
LEDGER = "ledger.sqlite"


def working_copy(project_url: str) -> Path:
    """The local folder a remote project is rendered in (the same for every task)."""
    digest = hashlib.sha256(project_url.rstrip("/").encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "ministudio-projects" / digest


def _fs(url: str, storage_options: Mapping[str, Any]) -> tuple[Any, str]:
    return Sink(url=url, storage_options=storage_options).filesystem()


def pull_project(project_url: str, storage_options: Mapping[str, Any] | None = None) -> Path:
    """Bring the remote project into its working copy; return the copy's folder."""
    fs, root = _fs(project_url, storage_options or {})
    local = working_copy(project_url)
    local.mkdir(parents=True, exist_ok=True)
    safe = redact_url(project_url)
    try:
        keys = [k for k in fs.find(root) if not fs.isdir(k)]
    except Exception as exc:  # noqa: BLE001 - any store error: one line, no secrets
        raise SinkError(f"reading the project {safe} failed: {type(exc).__name__}: {exc}") from exc
    fetched = 0
    for key in keys:
        rel = key[len(root):].lstrip("/")
        parts = rel.split("/")
        name = parts[-1]
        if not rel or parts[0] == "out" or ".partial-" in name or name.startswith(".tmp") or (
                parts[0] == STATE and len(parts) > 1 and parts[1].startswith("work-")):
            continue
        dest = local / rel
        is_media = parts[0] == STATE and len(parts) > 2 and parts[1] == "media"
        if is_media and dest.exists():
            continue  # content-addressed: the same name is the same bytes
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.partial-pull")
        fs.get_file(key, str(tmp))
        if is_media:
            tmp.chmod(0o444)
        tmp.replace(dest)
        fetched += 1
    if f"{root}/{STATE}/{LEDGER}" not in {k.rstrip("/") for k in keys}:
        # a project rendered for the first time: no ledger of an earlier copy may linger
        for stale in (local / STATE).glob(f"{LEDGER}*"):
            stale.unlink()
    log.info("remote.pull", url=safe, files=len(keys), fetched=fetched)
    return local


def _checkpoint(ledger: Path) -> None:
    """Fold the WAL into the database file, so one file holds the whole ledger."""
    if ledger.exists():
        db = sqlite3.connect(ledger)
        try:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()


def push_state(local: Path, project_url: str,
               storage_options: Mapping[str, Any] | None = None) -> int:
    """Upload the working copy's new media, then its ledger; return the files uploaded."""
    fs, root = _fs(project_url, storage_options or {})
    state = local / STATE
    safe = redact_url(project_url)
    token = hashlib.sha256(str(local).encode()).hexdigest()[:6]
    sent = 0
    try:
        remote_media = set(fs.find(f"{root}/{STATE}/media")) if fs.exists(
            f"{root}/{STATE}/media") else set()
        for path in sorted((state / "media").rglob("*")) if (state / "media").is_dir() else ():
            if not path.is_file() or path.name.startswith(".tmp"):
                continue
            key = f"{root}/{path.relative_to(local).as_posix()}"
            if key in remote_media:
                continue
            tmp = _partial(key, token)
            fs.put_file(str(path), tmp)
            fs.mv(tmp, key)
            sent += 1
        ledger = state / LEDGER
        if ledger.exists():
            _checkpoint(ledger)
            key = f"{root}/{STATE}/{LEDGER}"
            tmp = _partial(key, token)
            fs.put_file(str(ledger), tmp)
            fs.mv(tmp, key)
            sent += 1
    except Exception as exc:  # noqa: BLE001
        raise SinkError(f"saving the project state to {safe} failed: "
                        f"{type(exc).__name__}: {exc}",
                        hint="the working copy keeps it; the next run of the film renders "
                             "what the remote ledger lacks again") from exc
    log.info("remote.push", url=safe, files=sent)
    return sent
