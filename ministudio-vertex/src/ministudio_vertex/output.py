"""Bring the finished videos home: inline bytes or GCS objects, then measure the files.

GCS objects are downloaded through the Cloud Storage JSON API with the same credentials
(and, in tests, the same injected transport) as the Vertex calls. Transient download errors
are retried here; a download that still fails raises a retryable
:class:`ProviderUnavailableError` naming the ``gs://`` URI: the job is finished and paid, so
core re-attaches and fetches it again rather than submitting a new one.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import attrs
from ministudio.errors import (
    AuthenticationError,
    JobFailedError,
    MediaError,
    ProviderUnavailableError,
)

__all__ = ["Probe", "download_gcs", "gcs_media_url", "probe", "save_videos"]

_GCS_API = "https://storage.googleapis.com/storage/v1"


@attrs.frozen(kw_only=True)
class Probe:
    duration_s: float
    width: int
    height: int
    fps: float
    has_audio: bool


def gcs_media_url(uri: str) -> str:
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    if not bucket or not name:
        raise JobFailedError(f"vertex: malformed output URI {uri!r}", provider="vertex")
    return f"{_GCS_API}/b/{quote(bucket, safe='')}/o/{quote(name, safe='')}?alt=media"


def download_gcs(
    uri: str, dest: Path, *, token: str, transport: Any, timeout_s: float, attempts: int = 3,
    backoff_s: float = 1.0,
) -> Path:
    """Stream ``gs://bucket/object`` to ``dest``."""
    from ministudio_vertex.auth import http_client

    url = gcs_media_url(uri)
    last = ""
    for attempt in range(attempts):
        with http_client(transport, timeout_s) as client:
            try:
                with client.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as resp:
                    if resp.status_code == 200:
                        with dest.open("wb") as fh:
                            for chunk in resp.iter_bytes():
                                fh.write(chunk)
                        return dest
                    status = resp.status_code
            except Exception as exc:  # noqa: BLE001 - transport errors of httpx or httpx2
                if "TransportError" not in {c.__name__ for c in type(exc).__mro__}:
                    raise
                status, last = 0, type(exc).__name__
        if status in (401, 403):
            raise AuthenticationError(
                f"vertex: cannot read {uri} (HTTP {status})", provider="vertex",
                hint="the credentials need storage.objects.get on the output bucket",
            )
        if status and status != 429 and status < 500:
            raise ProviderUnavailableError(f"vertex: cannot download {uri} (HTTP {status})",
                                           provider="vertex")
        last = last or f"HTTP {status}"
        if attempt + 1 < attempts:
            time.sleep(backoff_s * (2**attempt))
    raise ProviderUnavailableError(
        f"vertex: the video was rendered but its download failed ({last}): {uri}",
        provider="vertex", hint="fetch it with `gcloud storage cp`, or run again to re-attach",
    )


def probe(path: Path) -> Probe:
    """Duration, size, frame rate and audio of a rendered clip (MediaError if unreadable)."""
    import av

    try:
        with av.open(str(path)) as container:
            video = container.streams.video[0]
            duration = float(container.duration or 0) / av.time_base
            rate = video.average_rate or video.guessed_rate or 24
            return Probe(
                duration_s=round(duration, 3),
                width=int(video.codec_context.width),
                height=int(video.codec_context.height),
                fps=float(rate),
                has_audio=bool(container.streams.audio),
            )
    except (av.error.FFmpegError, IndexError) as exc:
        raise MediaError(f"vertex returned a file that is not a playable video: {path.name}") from exc


def save_videos(
    videos: list[Any], workdir: Path, stem: str, *, token: Any, transport: Any, timeout_s: float
) -> tuple[list[Path], list[str]]:
    """Write each ``types.Video`` to ``workdir``; returns the paths and the GCS URIs seen.

    ``token`` is a callable giving a bearer token, called only when a GCS download is needed.
    """
    paths: list[Path] = []
    uris: list[str] = []
    for i, video in enumerate(videos):
        dest = workdir / f"{stem}-{i}.mp4"
        if video.video_bytes:
            dest.write_bytes(video.video_bytes)
        elif video.uri and video.uri.startswith("gs://"):
            uris.append(video.uri)
            download_gcs(video.uri, dest, token=token(), transport=transport, timeout_s=timeout_s)
        else:
            raise JobFailedError(
                f"vertex: video {i} came back with neither bytes nor a gs:// URI", provider="vertex"
            )
        paths.append(dest)
    return paths, uris
