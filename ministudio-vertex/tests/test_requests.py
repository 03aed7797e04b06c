"""Request bodies and URLs sent by the real google-genai client, against Vertex's REST shapes."""

from __future__ import annotations

import base64
import json

import av
from ministudio.requests import ClipRequest, ReferenceImage
from ministudio_vertex.testing import HOST, LOCATION, PROJECT

MODEL_PATH = f"/v1beta1/projects/{PROJECT}/locations/{LOCATION}/publishers/google/models"


def req(**kw):
    base = dict(provider="vertex", model="veo-3.1-generate-001", prompt="A kite over hills",
                duration_s=4, shot_id="s1")
    return ClipRequest(**{**base, **kw})


def test_text_to_video_url_body_and_result(fake, render):
    result = render(fake, req(seed=42, negative_prompt="blur", generate_audio=True,
                              aspect_ratio="9:16", duration_s=6))
    submit = fake.calls(":predictLongRunning")
    assert len(submit) == 1 and submit[0].method == "POST"
    assert str(submit[0].url) == f"{HOST}{MODEL_PATH}/veo-3.1-generate-001:predictLongRunning"
    body = json.loads(submit[0].content)
    assert body["instances"] == [{"prompt": "A kite over hills"}]
    assert body["parameters"] == {
        "sampleCount": 1, "durationSeconds": 6, "seed": 42, "aspectRatio": "9:16",
        "resolution": "720p", "negativePrompt": "blur", "generateAudio": True,
    }
    polls = fake.calls(":fetchPredictOperation")
    assert len(polls) == 3  # two not-done answers, then done
    assert str(polls[0].url) == f"{HOST}{MODEL_PATH}/veo-3.1-generate-001:fetchPredictOperation"
    assert json.loads(polls[0].content) == {"operationName": result.job_id}
    # the result describes the real file
    assert result.path.is_file() and result.model == "veo-3.1-generate-001"
    with av.open(str(result.path)) as c:
        assert abs(float(c.duration) / av.time_base - 6) < 0.1
        assert (c.streams.video[0].width, c.streams.video[0].height) == (result.width, result.height)
    assert result.height > result.width and result.has_audio and result.seed == 42
    assert result.job_id.endswith("/operations/op-1")
    assert result.metadata["rai_filtered_count"] == 0


def test_first_and_last_frame_are_sent_as_images(fake, render, png):
    first, last = png("first.png"), png("last.jpg", (0, 0, 255))
    render(fake, req(first_frame=first, last_frame=last, model="veo-3.1-fast-generate-001"))
    body = fake.body()
    inst = body["instances"][0]
    assert inst["image"] == {"bytesBase64Encoded": base64.b64encode(first.read_bytes()).decode(),
                             "mimeType": "image/png"}
    assert inst["lastFrame"]["mimeType"] == "image/jpeg"
    assert base64.b64decode(inst["lastFrame"]["bytesBase64Encoded"]) == last.read_bytes()
    assert "referenceImages" not in inst
    assert fake.calls(":predictLongRunning")[0].url.path.endswith(
        "veo-3.1-fast-generate-001:predictLongRunning")


def test_subject_references_are_asset_images(fake, render, png):
    refs = tuple(ReferenceImage(path=png(f"r{i}.png"), label=f"c{i}") for i in range(3))
    render(fake, req(reference_images=refs, duration_s=8, resolution="1080p"))
    inst = fake.body()["instances"][0]
    assert [r["referenceType"] for r in inst["referenceImages"]] == ["ASSET"] * 3
    assert all(r["image"]["mimeType"] == "image/png" for r in inst["referenceImages"])
    assert "image" not in inst and "lastFrame" not in inst
    assert fake.body()["parameters"]["durationSeconds"] == 8
    assert fake.body()["parameters"]["resolution"] == "1080p"


def test_best_of_n_returns_alternates(fake, render):
    result = render(fake, req(candidates=3))
    assert fake.body()["parameters"]["sampleCount"] == 3
    assert len(result.alternates) == 2 and all(p.is_file() for p in result.alternates)
    assert result.path not in result.alternates


def test_extra_options_and_settings(fake, render):
    render(
        fake,
        req(extra={"person_generation": "allow_adult", "enhance_prompt": False,
                   "compression_quality": "lossless", "labels": {"film": "kite"}}),
        settings={"labels": {"team": "a"}},
    )
    body = fake.body()
    assert body["parameters"]["personGeneration"] == "allow_adult"
    assert body["parameters"]["enhancePrompt"] is False
    assert body["parameters"]["compressionQuality"] == "LOSSLESS"
    assert body["labels"] == {"team": "a", "film": "kite"}


def test_scene_extension_sends_the_source_video(fake, render, tmp_path):
    from ministudio.testing.fakes import write_color_clip

    src = write_color_clip(tmp_path / "prev.mp4", duration_s=1, width=64, height=36)
    render(fake, req(duration_s=8, extra={"extend_video": str(src)}))
    inst = fake.body()["instances"][0]
    assert inst["video"]["mimeType"] == "video/mp4"
    assert base64.b64decode(inst["video"]["bytesBase64Encoded"]) == src.read_bytes()
    render(fake, req(duration_s=8, extra={"extend_video": "gs://b/prev.mp4"}))
    assert fake.body(1)["instances"][0]["video"]["gcsUri"] == "gs://b/prev.mp4"


def test_location_and_project_from_environment(fake, render):
    env = {"VERTEX_ACCESS_TOKEN": "test-access-token", "GOOGLE_CLOUD_PROJECT": "env-proj",
           "GOOGLE_CLOUD_LOCATION": "europe-west4"}
    result = render(fake, req(), settings={"project": None, "location": None}, env=env)
    assert str(fake.calls(":predictLongRunning")[0].url) == (
        "https://europe-west4-aiplatform.googleapis.com/v1beta1/projects/env-proj/"
        "locations/europe-west4/publishers/google/models/veo-3.1-generate-001:predictLongRunning")
    assert result.metadata["location"] == "europe-west4"
