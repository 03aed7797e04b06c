"""Requests Veo would reject fail with CapabilityError before any HTTP call."""

from __future__ import annotations

import pytest
from ministudio.capabilities import ReferenceRole
from ministudio.capcheck import clip_violations
from ministudio.errors import CapabilityError, MediaError
from ministudio.requests import ClipRequest, ReferenceImage
from ministudio_vertex.models import CATALOGUE
from ministudio_vertex.rules import vertex_violations


def req(**kw):
    base = dict(provider="vertex", model="veo-3.1-generate-001", prompt="A kite over hills",
                duration_s=8, shot_id="s7")
    return ClipRequest(**{**base, **kw})


def _refs(png, n=1):
    return tuple(ReferenceImage(path=png(f"ref{i}.png")) for i in range(n))


CASES = {
    "five_seconds": (lambda png: req(duration_s=5), "duration 5s"),
    "refs_plus_first_frame": (lambda png: req(reference_images=_refs(png), first_frame=png("f.png")),
                              "cannot combine reference images with a first or last frame"),
    "refs_plus_last_frame": (lambda png: req(reference_images=_refs(png), first_frame=png("f.png"),
                                             last_frame=png("l.png")), "reference images"),
    "four_refs": (lambda png: req(reference_images=_refs(png, 4)), "at most 3"),
    "refs_need_eight_seconds": (lambda png: req(reference_images=_refs(png), duration_s=6),
                                "allowed: 8 s) for reference images"),
    "1080p_needs_eight_seconds": (lambda png: req(resolution="1080p", duration_s=4),
                                  "allowed: 8 s) for 1080p"),
    "last_frame_alone": (lambda png: req(last_frame=png("l.png")), "needs a first frame"),
    "style_reference": (lambda png: req(reference_images=(ReferenceImage(path=png("s.png"), role=ReferenceRole.STYLE),)),
                        "role(s) style"),
    "lite_has_no_references": (lambda png: req(model="veo-3.1-lite-generate-001",
                                               reference_images=_refs(png)), "at most 0"),
    "five_candidates": (lambda png: req(candidates=5), "at most 4"),
    "square": (lambda png: req(aspect_ratio="1:1"), "aspect ratio 1:1"),
    "seed_too_big": (lambda png: req(seed=2**32), "seed"),
    "typo_in_extra": (lambda png: req(extra={"person_generaton": "allow_adult"}), "unknown option"),
    "bad_person_generation": (lambda png: req(extra={"person_generation": "everyone"}),
                              "person_generation"),
    "gif_frame": (lambda png: req(first_frame=png("f.gif")), "not PNG, JPEG or WebP"),
    "extension_on_lite": (lambda png: req(model="veo-3.1-lite-generate-001",
                                          extra={"extend_video": "gs://b/v.mp4"}), "cannot extend"),
    "extension_at_1080p": (lambda png: req(resolution="1080p", extra={"extend_video": "gs://b/v.mp4"}),
                           "720p only"),
    "bad_gcs_uri": (lambda png: req(extra={"output_gcs_uri": "s3://x"}), "gs://"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rejected_before_any_http(case, fake, render, png):
    make, fragment = CASES[case]
    with pytest.raises(CapabilityError) as info:
        render(fake, make(png))
    assert fragment in str(info.value)
    assert "s7" in str(info.value)  # names the shot
    assert fake.transport.calls == 0


def test_missing_input_image_is_media_error_before_http(fake, render, tmp_path):
    with pytest.raises(MediaError, match="does not exist"):
        render(fake, req(first_frame=tmp_path / "nope.png"))
    assert fake.transport.calls == 0


def test_all_violations_are_listed_at_once(png):
    r = req(reference_images=_refs(png), duration_s=6, resolution="4k", seed=-1)
    model = CATALOGUE["veo-3.1-generate-001"]
    declared = [v for v in clip_violations(r, model) if v.startswith("duration")]
    assert declared == ["duration 6s is not one veo-3.1-generate-001 allows (allowed: 8 s) "
                        "for 4k with reference images"]
    assert vertex_violations(r, model) == ["seed -1 is outside 0–4294967295"]


def test_valid_combinations_pass(png):
    model = CATALOGUE["veo-3.1-generate-001"]
    assert vertex_violations(req(reference_images=_refs(png, 3)), model) == []
    assert vertex_violations(req(first_frame=png("a.png"), last_frame=png("b.webp"), duration_s=4), model) == []
    assert vertex_violations(req(resolution="4k"), model) == []
    assert vertex_violations(req(extra={"extend_video": "gs://b/v.mp4"}), model) == []
