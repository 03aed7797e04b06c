from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from ministudio.capabilities import Operation
from ministudio.dispatch import Dispatcher
from ministudio.hookspecs import hookimpl
from ministudio.plugins import PluginManager
from ministudio.requests import AnchorFrame, AnchorFrameRequest, IdentityRequest


def test_builtin_providers_are_registered() -> None:
    pm = PluginManager(load_entrypoints=False)
    assert pm.records["core"].builtin
    assert [s.name for s in pm.providers(Operation.ANCHOR_FRAME)] == ["last-frame"]
    look = pm.get_provider("look", Operation.IDENTITY)
    assert look.scorer is not None and look.scorer.kind == "look"
    assert "NOT a face" in look.scorer.description


def test_dispatch_uses_core_defaults(av_clip: Path, tmp_path: Path) -> None:
    pm = PluginManager(load_entrypoints=False)
    dispatcher = Dispatcher(pm)
    anchor = asyncio.run(dispatcher.extract_anchor_frame(
        AnchorFrameRequest(clip=av_clip, output_dir=tmp_path)))
    assert anchor.frame_index == 47 and anchor.path.exists()
    score = asyncio.run(dispatcher.score_identity(
        IdentityRequest(media=av_clip, references=[anchor.path], samples=3)))
    assert score.kind == "look" and score.passed
    pinned = asyncio.run(dispatcher.extract_anchor_frame(
        AnchorFrameRequest(clip=av_clip, output_dir=tmp_path), provider="last-frame"))
    assert pinned == anchor


def test_tryfirst_plugin_overrides_default(av_clip: Path, tmp_path: Path) -> None:
    class Override:
        MINISTUDIO_PLUGIN_API = 1

        @hookimpl(tryfirst=True)
        def extract_anchor_frame(self, request, context):
            return AnchorFrame(path=request.output_dir / "x.png", time_s=0.0, frame_index=0,
                               width=1, height=1, method="override")

    pm = PluginManager(load_entrypoints=False)
    pm.register(Override(), "override")
    got = asyncio.run(Dispatcher(pm).extract_anchor_frame(
        AnchorFrameRequest(clip=av_clip, output_dir=tmp_path)))
    assert got.method == "override"


def test_builtin_import_is_light() -> None:
    code = ("import sys, ministudio.builtin; "
            "print(sorted(m for m in ('av', 'numpy', 'PIL') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
