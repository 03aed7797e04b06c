"""The report inlines each shot's frame as a small JPEG, not the full-size anchor PNG, so
its size (and the memory to build it) stays small as the film grows."""

from __future__ import annotations

import base64
import io
import re
import types
from pathlib import Path

import numpy as np
from ministudio.engine.report import CARD_THUMB_WIDTH, render_html
from PIL import Image


def _manifest(ids: list[str]) -> dict:
    shots = [{"id": i, "status": "done", "cached": False, "provider": "animatic",
              "model": "animatic-v1", "seed": 1, "duration_s": 2.0, "start_s": 0.0, "cost": "0",
              "estimated_cost": "0", "continues_from": None, "prompt": "p", "note": "",
              "speech": [], "attempts": [], "identity": {}} for i in ids]
    return {"title": "T", "status": "done", "shots": shots, "failures": [],
            "cost": {"actual": "0", "estimated": "0", "currency": "USD"}, "wall_s": 1.0,
            "provider_calls": 1, "format": {"aspect_ratio": "16:9", "resolution": "720p",
                                            "fps": 24}, "files": {}}


def _result(anchors: dict[str, Path | None]) -> types.SimpleNamespace:
    shots = [types.SimpleNamespace(id=i, outcome=types.SimpleNamespace(anchor=a))
             for i, a in anchors.items()]
    return types.SimpleNamespace(files={}, shots=shots)


def test_a_shot_card_inlines_a_small_jpeg_of_the_anchor(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)  # noise: a PNG as large as a 720p frame gets
    anchor = tmp_path / "anchor.png"
    Image.fromarray(rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8)).save(anchor)
    page = render_html(_manifest(["a.one"]), _result({"a.one": anchor}))
    found = re.findall(r'<div class=card><div><img alt="a.one" src="data:image/jpeg;base64,'
                       r'([^"]+)">', page)
    assert len(found) == 1
    thumb = Image.open(io.BytesIO(base64.b64decode(found[0])))
    assert thumb.format == "JPEG" and thumb.size == (CARD_THUMB_WIDTH, 270)
    assert len(page) < anchor.stat().st_size / 4  # far smaller than the PNG it shows


def test_a_small_anchor_is_not_enlarged_and_a_missing_one_is_a_placeholder(tmp_path: Path) -> None:
    small = tmp_path / "small.png"
    Image.new("RGB", (320, 180), (10, 120, 200)).save(small)
    page = render_html(_manifest(["a", "b"]), _result({"a": small, "b": tmp_path / "gone.png"}))
    data = re.search(r'<img alt="a" src="data:image/jpeg;base64,([^"]+)">', page)
    assert data is not None
    assert Image.open(io.BytesIO(base64.b64decode(data.group(1)))).size == (320, 180)
    assert 'alt="b"' not in page and "width:240px;height:135px" in page
