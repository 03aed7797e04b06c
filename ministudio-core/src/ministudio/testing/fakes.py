"""Fake providers for tests: they obey the contract and write real media files.

``FakeClipPlugin`` renders solid-colour H.264 clips (optionally with a sine soundtrack) of the
requested size and duration, after an optional latency, and can fail on demand. Register an
instance: ``manager.register(FakeClipPlugin(name="fake"), "fake")``.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from ministudio.capabilities import ClipModel, Operation, ProviderSpec, ReferenceRole, frame_size
from ministudio.context import CallContext
from ministudio.hookspecs import PLUGIN_API, hookimpl
from ministudio.requests import ClipRequest, ClipResult

__all__ = ["FakeClipPlugin", "color_clip_bytes", "write_color_clip"]


def write_color_clip(
    path: Path,
    *,
    duration_s: float,
    width: int = 320,
    height: int = 180,
    fps: int = 24,
    color: tuple[int, int, int] = (40, 90, 160),
    audio_hz: float | None = None,
    sample_rate: int = 48000,
    gop: int | None = None,
    preset: str = "ultrafast",
    crf: int = 28,
    texture: bool = False,
    fade_out_s: float = 0.0,
) -> Path:
    """Encode a real H.264 (+AAC) MP4: a solid colour with a moving bar, so frames differ.

    ``texture`` adds a scrolling noise pattern (realistic bitrate and sharpness);
    ``fade_out_s`` fades the last seconds to black; ``preset`` other than ``ultrafast``
    gives B-frames, like real provider output.
    """
    import av
    import numpy as np

    n_frames = int(round(duration_s * fps))
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"preset": preset, "crf": str(crf)}
        if gop:
            vs.gop_size = gop
            vs.options = {**vs.options, "keyint_min": str(gop), "sc_threshold": "0"}
        vs.time_base = Fraction(1, fps)
        astream = None
        if audio_hz:
            astream = out.add_stream("aac", rate=sample_rate)
            astream.layout = "mono"
        base = np.empty((height, width, 3), np.uint8)
        base[:] = color
        if texture:
            noise = np.random.default_rng(sum(color)).integers(-40, 40, (height, width, 1))
            base = np.clip(base.astype(np.int16) + noise, 0, 255).astype(np.uint8)
        fade_frames = int(round(fade_out_s * fps))
        for i in range(n_frames):
            img = np.roll(base, 2 * i, axis=1) if texture else base.copy()
            x = int((i / max(n_frames, 1)) * width)
            img[:, max(0, x - 4): x + 4] = 255 - np.array(color, np.uint8)
            left = n_frames - i
            if fade_frames and left <= fade_frames:
                img = (img.astype(np.float32) * ((left - 1) / fade_frames)).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for pkt in vs.encode(frame):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        if astream is not None:
            total = int(round(duration_s * sample_rate))
            t = np.arange(total) / sample_rate
            samples = (0.2 * np.sin(2 * np.pi * audio_hz * t)).astype(np.float32)
            pos = 0
            while pos < total:
                chunk = samples[pos: pos + 1024]
                fr = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
                fr.sample_rate = sample_rate
                fr.pts = pos
                pos += len(chunk)
                for pkt in astream.encode(fr):
                    out.mux(pkt)
            for pkt in astream.encode():
                out.mux(pkt)
    return path


def color_clip_bytes(duration_s: float, *, ratio: str | None = None, width: int = 320,
                     height: int = 180, color: tuple[int, int, int] = (40, 90, 160)) -> bytes:
    """The bytes of a :func:`write_color_clip` MP4, as a fake provider API serves them.

    ``ratio`` (``"16:9"``, ``"9:16"``, ``"1:1"``...) picks a small frame of that shape
    (320 wide, or 180 high when portrait) instead of ``width`` x ``height``.
    """
    import tempfile

    if ratio is not None:
        a, b = (int(v) for v in ratio.split(":"))
        width, height = (320, 320 * b // a // 2 * 2) if a >= b else (180 * a // b // 2 * 2, 180)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_color_clip(Path(tmp) / "v.mp4", duration_s=duration_s, width=width,
                                height=height, color=color)
        return path.read_bytes()


class FakeClipPlugin:
    """A configurable fake video provider.

    ``latency_s`` sleeps (async) before answering; ``fail`` is called with the request and the
    call number and may raise any :mod:`ministudio.errors` error to simulate a failure.
    ``calls`` counts generate_clip calls.
    """

    MINISTUDIO_PLUGIN_API = PLUGIN_API

    def __init__(
        self,
        name: str = "fake",
        *,
        latency_s: float = 0.0,
        fail: Callable[[ClipRequest, int], None] | None = None,
        model: ClipModel | None = None,
        audio: bool = False,
    ) -> None:
        self.name = name
        self.latency_s = latency_s
        self.fail = fail
        self.audio = audio
        self.calls = 0
        self.requests: list[ClipRequest] = []
        self.model = model or ClipModel(
            id="fake-1",
            min_duration_s=0.5,
            max_duration_s=60.0,
            aspect_ratios=("16:9", "9:16", "1:1"),
            resolutions=("360p", "720p"),
            fps=(24,),
            max_reference_images=3,
            reference_roles=(ReferenceRole.SUBJECT, ReferenceRole.ENVIRONMENT),
            references_with_frames=True,
            first_frame=True,
            last_frame=True,
            native_audio=True,
        )

    @hookimpl
    def register_providers(self) -> list[ProviderSpec]:
        return [
            ProviderSpec(
                name=self.name,
                operations={Operation.CLIP},
                description="fake provider for tests",
                clip_models=(self.model,),
            )
        ]

    @hookimpl
    async def generate_clip(self, request: ClipRequest, context: CallContext) -> ClipResult:
        self.calls += 1
        self.requests.append(request)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if self.fail is not None:
            self.fail(request, self.calls)
        digest = hashlib.sha256(f"{request.prompt}|{request.seed}".encode()).digest()
        color = (digest[0], digest[1], digest[2])
        w, h = frame_size(request.aspect_ratio, request.resolution)
        path = context.workdir / f"fake-{digest.hex()[:12]}.mp4"
        await asyncio.to_thread(
            write_color_clip, path, duration_s=request.duration_s, width=w // 4 * 2,
            height=h // 4 * 2, fps=request.fps, color=color,
            audio_hz=440.0 if (self.audio or request.generate_audio) else None,
        )
        return ClipResult(
            path=path, provider=request.provider, model=request.model,
            duration_s=request.duration_s, width=w // 4 * 2, height=h // 4 * 2, fps=request.fps,
            has_audio=bool(self.audio or request.generate_audio), seed=request.seed,
            job_id=f"job-{self.calls}",
        )
