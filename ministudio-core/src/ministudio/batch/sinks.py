"""Where a batch delivers finished films: a local folder (the default) or any fsspec URL.

``--out s3://bucket/prefix/``, ``gs://bucket/prefix/``, ``az://...``, ``sftp://...``: each film
is rendered into its own local folder first (the project's ``out/<name>/``: the engine's
checks, lock and cache work there as for any render), then uploaded to ``<url>/<name>/``.

Never a half-written file at a final name. Every file is first written to a temporary key
next to its final one (``.<name>.partial-<token>``), and only when *all* of the film's files
are there are they moved to their final names, ``manifest.json`` last: a film folder whose
``manifest.json`` exists is complete. On object stores the move is a server-side copy (the
object appears whole or not at all) and a delete; a crash before the moves leaves only
``.partial-`` keys, which the next upload of the film removes. (Multipart uploads a crash
interrupted are never visible as objects; a bucket lifecycle rule aborts them.)

Credentials come from each store's usual environment (``AWS_ACCESS_KEY_ID``/
``AWS_SECRET_ACCESS_KEY``/``AWS_PROFILE``/``AWS_ENDPOINT_URL`` for s3fs,
``GOOGLE_APPLICATION_CREDENTIALS`` for gcsfs, ...) or from ``storage_options`` passed in
Python; they are never logged: log lines name the URL only, and URLs with a password
(``user:pass@host``) are shown without it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ministudio.errors import ConfigError, MinistudioError
from ministudio.log import get_logger

__all__ = ["Sink", "SinkError", "is_url", "redact_url", "upload_folder"]

log = get_logger(__name__)

#: files of a render folder that are bookkeeping, not deliverables
_SKIP = (".ministudio-out.json", ".ministudio-out.lock", ".ministudio-out.lock.json")

EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs", "az": "azure", "abfs": "azure"}


class SinkError(MinistudioError):
    """A film could not be delivered to its output URL."""


def is_url(out: str | os.PathLike[str] | None) -> bool:
    """``True`` for ``scheme://...`` other than ``file://``."""
    text = str(out or "")
    return "://" in text and not text.startswith("file://")


def redact_url(url: str) -> str:
    """``url`` without a password (``s3://key:secret@bucket`` -> ``s3://key:***@bucket``)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


@attrs.frozen(kw_only=True)
class Sink:
    """An fsspec URL to deliver films under (``storage_options`` are never shown or logged)."""

    url: str
    storage_options: Mapping[str, Any] = attrs.field(factory=dict, repr=False)
    #: bytes per part of a multipart upload (``None``: the store's default)
    chunksize: int | None = None

    def filesystem(self) -> tuple[Any, str]:
        """The fsspec filesystem and the root path inside it (imports fsspec on first use)."""
        try:
            import fsspec
        except ImportError as exc:
            raise ConfigError(
                "delivering to a URL needs fsspec, which is not installed",
                hint="pip install 'ministudio-core[fsspec]' (and the store's package: s3fs, gcsfs...)",
            ) from exc
        scheme = self.url.split("://", 1)[0]
        try:
            fs, root = fsspec.core.url_to_fs(self.url, **dict(self.storage_options))
        except (ImportError, ValueError) as exc:
            extra = EXTRAS.get(scheme)
            hint = (f"pip install 'ministudio-core[{extra}]'" if extra
                    else f"install the fsspec implementation for {scheme}://")
            raise ConfigError(f"--out {redact_url(self.url)}: {exc}", hint=hint) from exc
        return fs, root.rstrip("/")

    def target(self, name: str) -> str:
        return f"{self.url.rstrip('/')}/{name}"


def _files(folder: Path) -> list[Path]:
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and rel.parts[0] not in _SKIP and ".partial-" not in p.name:
            out.append(p)
    return out


def _partial(key: str, token: str) -> str:
    head, _, name = key.rpartition("/")
    return f"{head}/.{name}.partial-{token}" if head else f".{name}.partial-{token}"


def _sweep(fs: Any, root: str) -> None:
    """Remove ``.partial-`` keys a crashed upload left under ``root``."""
    try:
        found = fs.find(root)
    except FileNotFoundError:
        return
    stale = [k for k in found if ".partial-" in k.rsplit("/", 1)[-1]]
    if stale:
        fs.rm(stale)


def upload_folder(folder: Path, sink: Sink, name: str, *,
                  on_file: Callable[[str], None] | None = None) -> str:
    """Deliver every file of ``folder`` to ``<sink>/<name>/`` atomically (see the module
    docstring) and return the film folder's URL (without a password). Raises
    :class:`SinkError`."""
    fs, root = sink.filesystem()
    base = f"{root}/{name}"
    token = secrets.token_hex(6)
    files = _files(folder)
    # manifest.json last: its presence says the film folder is complete
    files.sort(key=lambda p: (p.relative_to(folder).as_posix() == "manifest.json",
                              p.relative_to(folder).as_posix()))
    url = sink.target(name)
    safe = redact_url(url)
    log.info("sink.upload", url=safe, files=len(files))
    moves: list[tuple[str, str]] = []
    try:
        _sweep(fs, base)
        for path in files:
            key = f"{base}/{path.relative_to(folder).as_posix()}"
            tmp = _partial(key, token)
            kwargs = {"chunksize": sink.chunksize} if sink.chunksize else {}
            try:
                fs.put_file(str(path), tmp, **kwargs)
            except TypeError:  # an implementation without chunksize
                fs.put_file(str(path), tmp)
            moves.append((tmp, key))
            if on_file is not None:
                on_file(key)
        for tmp, key in moves:
            fs.mv(tmp, key)
    except MinistudioError:
        raise
    except Exception as exc:  # noqa: BLE001 - any store error: one clear line, no secrets
        try:
            fs.rm([tmp for tmp, _ in moves if fs.exists(tmp)])
        except Exception:  # noqa: BLE001 - best effort; the next upload sweeps them
            pass
        raise SinkError(f"uploading to {safe} failed: {type(exc).__name__}: {exc}",
                        hint="check the store's credentials in its usual environment; "
                        "the film stays rendered locally and the next run uploads it again"
                        ) from exc
    log.info("sink.done", url=safe, files=len(files))
    return safe
