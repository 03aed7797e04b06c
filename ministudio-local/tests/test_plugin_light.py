"""Registering the local providers (every ``ministudio providers list``) stays data only: the
face scorer, its records, frame planning and the media libraries are imported by the hooks
that use them, not by the plugin modules."""

from __future__ import annotations

import ast
import subprocess
import sys

from ministudio_local import plugin
from ministudio_local.face.score import THRESHOLD


def test_the_face_threshold_in_the_listing_is_the_scorers() -> None:
    assert plugin.FACE_THRESHOLD == THRESHOLD


def test_registering_the_local_providers_imports_no_scorer_or_media_code() -> None:
    heavy = ("ministudio.requests", "ministudio.context", "ministudio_local.face.embed",
             "ministudio_local.face.score", "ministudio_local.diffusers.frames",
             "ministudio_local.diffusers.options", "ministudio_local.animatic", "numpy", "PIL",
             "av", "dlib", "torch")
    code = ("import sys\n"
            "import ministudio_local.plugin as a, ministudio_local.diffusers.plugin as d\n"
            "names = [s.name for s in a.register_providers()] + "
            "[s.name for s in d.register_providers()]\n"
            "print(sorted(names))\n"
            f"print([m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    names, imported = out.stdout.strip().splitlines()[-2:]
    assert {"animatic", "cogvideox", "ltx-video", "wan"} <= set(ast.literal_eval(names))
    assert ast.literal_eval(imported) == []
