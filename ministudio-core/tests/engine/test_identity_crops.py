"""The faces an identity score used reach the report: a scorer asked for ``crops`` writes an
image of them, the engine keeps it with the shot (a cached rerun still shows it), delivers it
to ``identity/`` in the out folder, names it in ``manifest.json`` and shows it in the heatmap."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

from chaos import ChaosClipPlugin, FakeSpeechPlugin
from ministudio.config import load_settings
from ministudio.engine import render
from ministudio.hookspecs import PLUGIN_API, hookimpl
from ministudio.plugins import PluginManager
from ministudio.requests import IdentityRequest, IdentityScore

FILM = textwrap.dedent("""
    title: Crops
    format: {aspect_ratio: "16:9", resolution: 360p, fps: 24}
    defaults: {provider: chaos, speech_provider: fakevoice, narrator: {id: a}, seed: 5}
    characters:
      ada: {name: Ada, description: a scientist, references: [ada.png], voice: {id: b}}
      bo: {name: Bo, description: an engineer, references: [bo.png], voice: {id: c}}
    environments:
      lab: {description: a small lab}
    scenes:
      - id: one
        environment: lab
        characters: [ada, bo]
        shots:
          - {id: a, action: Ada and Bo look up., duration: 1}
""")

#: per character: (score, kind, colour of the crop image it writes)
TABLE = {"ada": (0.9, "face", (200, 40, 40)), "bo": (0.2, "look", None)}


class CropScorer:
    """A face scorer that honours ``IdentityRequest.crops`` as the contract says: it writes
    its crop image into the call's work directory and returns its path."""

    MINISTUDIO_PLUGIN_API = PLUGIN_API

    def __init__(self) -> None:
        self.calls: list[IdentityRequest] = []
        self.written: list[Path] = []

    @hookimpl(tryfirst=True)
    def score_identity(self, request: IdentityRequest, context: Any) -> IdentityScore:
        from PIL import Image

        self.calls.append(request)
        s, kind, colour = TABLE[request.character or ""]
        crops = None
        if request.crops and colour is not None:
            crops = Path(context.workdir) / f"faces-{request.character}.png"
            Image.new("RGB", (96, 40), colour).save(crops)
            self.written.append(crops)
        return IdentityScore(score=s, p10=s, minimum=s, scorer="crops", kind=kind,
                             threshold=0.5, faces_found=1 if kind == "face" else 0,
                             frames_used=(0.5,) if kind == "face" else (),
                             boxes=((4, 4, 40, 40),) if kind == "face" else (), crops=crops)


def _setup(tmp_path: Path) -> tuple[Path, PluginManager, Any, CropScorer]:
    from PIL import Image

    for name in ("ada", "bo"):
        Image.new("RGB", (64, 64), (180, 120, 90)).save(tmp_path / f"{name}.png")
    (tmp_path / "film.yaml").write_text(FILM)
    manager = PluginManager(load_entrypoints=False, env={})
    scorer = CropScorer()
    manager.register(ChaosClipPlugin(), "chaos")
    manager.register(FakeSpeechPlugin(), "fakevoice")
    manager.register(scorer, "crops")
    settings = load_settings(project_dir=tmp_path, env={}, user_config=tmp_path / "none.toml")
    return tmp_path / "film.yaml", manager, settings, scorer


def _check(out: Path) -> None:
    from PIL import Image

    manifest = json.loads((out / "manifest.json").read_text())
    ident = manifest["shots"][0]["identity"]
    assert ident["ada"]["crop"] == "identity/one-a-ada.png"
    assert "crop_media" not in ident["ada"]
    assert ident["bo"]["kind"] == "look" and ident["bo"]["crop"] is None
    crop = out / ident["ada"]["crop"]
    with Image.open(crop) as im:  # the scorer's image, delivered as it was written
        assert im.size == (96, 40) and im.convert("RGB").getpixel((10, 10)) == (200, 40, 40)
    html = (out / "report.html").read_text()
    srcs = re.findall(r'<img class=crop src="([^"]+)"', html)
    assert srcs == ["identity/one-a-ada.png"]
    assert all((out / s).is_file() for s in srcs)


def test_face_crops_are_kept_delivered_and_shown_next_to_the_heatmap(tmp_path: Path) -> None:
    film, manager, settings, scorer = _setup(tmp_path)
    res = render(film, out=tmp_path / "out", manager=manager, settings=settings)
    assert res.status == "done"
    assert scorer.calls and all(r.crops for r in scorer.calls)
    # the scorer's file was moved into the store, not left in the work directory
    assert scorer.written and not any(p.exists() for p in scorer.written)
    _check(tmp_path / "out")

    # a rerun scores nothing again: the crops come from the store with the cached shot
    calls = len(scorer.calls)
    res2 = render(film, out=tmp_path / "out2", manager=manager, settings=settings)
    assert res2.provider_calls == 0 and len(scorer.calls) == calls
    assert all(s.status == "cached" for s in res2.shots)
    _check(tmp_path / "out2")
