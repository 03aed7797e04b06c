"""The long-running operation: ledger hand-off, polling, re-attach, outputs and failures."""

from __future__ import annotations

import av
import pytest
from ministudio.errors import (
    AuthenticationError,
    ContentRejectedError,
    JobFailedError,
    JobPendingError,
    MediaError,
    PaymentRequiredError,
    ProviderUnavailableError,
    RateLimitedError,
)
from ministudio.requests import ClipRequest
from ministudio_vertex.testing import FakeVertex


def req(**kw):
    base = dict(provider="vertex", model="veo-3.1-generate-001", prompt="A kite over hills",
                duration_s=4, shot_id="s1")
    return ClipRequest(**{**base, **kw})


def test_job_reported_before_first_poll(fake, render):
    events: list[str] = []
    original = fake.transport.handler

    def handler(request):
        events.append(request.url.path.rsplit(":", 1)[-1])
        return original(request)

    fake.transport.handler = handler
    result = render(fake, req(), report_job=lambda job: events.append(f"report {job}"))
    assert events[0] == "predictLongRunning"
    assert events[1] == f"report {result.job_id}"
    assert events[2:] == ["fetchPredictOperation"] * 3


def test_reattach_after_restart_submits_nothing(tmp_path, render):
    fake = FakeVertex(tmp_path, polls=5)
    job = ("projects/demo-project/locations/us-central1/publishers/google/models/"
           "veo-3.1-generate-001/operations/op-crashed")
    reported: list[str] = []
    result = render(fake, req(), resume_job_id=job, report_job=reported.append)
    assert fake.calls(":predictLongRunning") == []
    assert fake.fetches == {job: 6}
    assert result.job_id == job and result.path.is_file()
    assert reported == []  # already in the ledger


def test_gcs_output_downloaded_with_same_credentials(tmp_path, render):
    fake = FakeVertex(tmp_path, gcs=True)
    result = render(fake, req(candidates=2), settings={"output_gcs_uri": "gs://my-bucket/renders"})
    assert fake.body()["parameters"]["storageUri"] == "gs://my-bucket/renders/s1/"
    downloads = [r for r in fake.transport.requests if r.url.host == "storage.googleapis.com"]
    assert [r.url.raw_path.decode() for r in downloads] == [
        "/storage/v1/b/my-bucket/o/renders%2Fs1%2Fsample_0.mp4?alt=media",
        "/storage/v1/b/my-bucket/o/renders%2Fs1%2Fsample_1.mp4?alt=media",
    ]
    assert all(r.headers["authorization"] == "Bearer test-access-token" for r in downloads)
    assert result.metadata["gcs_uris"] == ["gs://my-bucket/renders/s1/sample_0.mp4",
                                           "gs://my-bucket/renders/s1/sample_1.mp4"]
    with av.open(str(result.path)) as c:
        assert abs(float(c.duration) / av.time_base - 4) < 0.1
    assert len(result.alternates) == 1


def test_gcs_download_refused_is_authentication_error(tmp_path, render):
    fake = FakeVertex(tmp_path, gcs=True)
    fake.fail["gcs"] = (403, {"error": {"code": 403, "message": "no access"}})
    with pytest.raises(AuthenticationError, match="gs://b/x/s1/sample_0.mp4"):
        render(fake, req(), settings={"output_gcs_uri": "gs://b/x"})


def test_all_filtered_is_content_rejected_with_reasons(fake, render):
    fake.final = {"response": {"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": [
        "The video was blocked because it may show a real person (code 58061214)."]}}
    with pytest.raises(ContentRejectedError) as info:
        render(fake, req())
    assert "may show a real person" in str(info.value)
    assert "filter removed 1 video" in str(info.value)
    assert info.value.retryable is False and info.value.job_id.endswith("op-1")


def test_partly_filtered_keeps_the_rest(fake, render):
    fake.final = {"response": {"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": ["x"],
                               "videos": fake._result("none")["response"]["videos"]}}
    result = render(fake, req(duration_s=8))
    assert result.metadata["rai_filtered_count"] == 1
    assert result.metadata["rai_filtered_reasons"] == ["x"]


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                         "message": "Quota exceeded for aiplatform.googleapis.com"}}, RateLimitedError),
        (401, {"error": {"code": 401, "status": "UNAUTHENTICATED",
                         "message": "Request had invalid authentication credentials."}},
         AuthenticationError),
        (403, {"error": {"code": 403, "status": "PERMISSION_DENIED",
                         "message": "Permission 'aiplatform.endpoints.predict' denied"}},
         AuthenticationError),
        (403, {"error": {"code": 403, "status": "PERMISSION_DENIED",
                         "message": "This API method requires billing to be enabled."}},
         PaymentRequiredError),
        (400, {"error": {"code": 400, "status": "INVALID_ARGUMENT",
                         "message": "The prompt could not be submitted. It violates usage guidelines."}},
         ContentRejectedError),
        (503, {"error": {"code": 503, "status": "UNAVAILABLE", "message": "try later"}},
         ProviderUnavailableError),
    ],
)
def test_submit_errors_are_classified(fake, render, status, body, expected):
    fake.fail["submit"] = (status, body)
    with pytest.raises(expected) as info:
        render(fake, req())
    assert info.value.retryable is expected.retryable
    assert info.value.status_code == status
    assert body["error"]["message"] in str(info.value)
    assert "test-access-token" not in str(info.value)
    assert fake.calls(":fetchPredictOperation") == []


def test_rate_limited_is_retryable_with_retry_after(fake, render):
    original = fake.transport.handler

    def handler(request):
        resp = original(request)
        if resp.status_code == 429:
            resp.headers["retry-after"] = "17"
        return resp

    fake.transport.handler = handler
    fake.fail["submit"] = (429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "q"}})
    with pytest.raises(RateLimitedError) as info:
        render(fake, req())
    assert info.value.retryable and info.value.retry_after == 17.0


def test_transient_poll_error_is_absorbed_not_resubmitted(fake, render):
    fake.fail["fetch"] = (503, {"error": {"code": 503, "status": "UNAVAILABLE", "message": "blip"}})
    result = render(fake, req())
    assert len(fake.calls(":predictLongRunning")) == 1
    assert result.path.is_file()


def test_permanent_poll_error_raises(fake, render):
    fake.fail["fetch"] = (403, {"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "no"}})
    with pytest.raises(AuthenticationError):
        render(fake, req())


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"code": 3, "message": "Unsupported output video duration"}, JobFailedError),
        ({"code": 3, "message": "Veo could not generate videos because the input image violates "
                                "Vertex AI's usage guidelines."}, ContentRejectedError),
        ({"code": 13, "message": "Internal error"}, ProviderUnavailableError),
        ({"code": 8, "message": "Resource exhausted"}, RateLimitedError),
    ],
)
def test_failed_operation_is_classified(fake, render, error, expected):
    fake.final = {"error": error}
    with pytest.raises(expected) as info:
        render(fake, req())
    assert error["message"] in str(info.value)
    assert info.value.job_id.endswith("/operations/op-1")


def test_deadline_stops_waiting_and_the_job_stays_open(tmp_path, render):
    fake = FakeVertex(tmp_path, polls=10_000)
    with pytest.raises(JobPendingError, match="still running") as info:
        render(fake, req(), settings={"poll_initial_s": 0.01, "poll_max_s": 0.01,
                                      "poll_deadline_s": 0.05})
    assert info.value.retryable and not info.value.job_ended
    assert info.value.job_id.endswith("/operations/op-1")
    assert len(fake.calls(":predictLongRunning")) == 1


def test_failed_operation_ends_the_job(fake, render):
    fake.final = {"error": {"code": 13, "message": "Internal error"}}
    with pytest.raises(ProviderUnavailableError) as info:
        render(fake, req())
    assert info.value.retryable and info.value.job_ended  # a new job may succeed


def test_garbage_video_is_media_error(fake, render):
    import base64

    fake.final = {"response": {"videos": [{"bytesBase64Encoded": base64.b64encode(b"nope").decode(),
                                           "mimeType": "video/mp4"}]}}
    with pytest.raises(MediaError, match="playable"):
        render(fake, req())


def test_missing_credentials_is_authentication_error(fake, render, monkeypatch, tmp_path):
    # no token, no key file, and ADC pointed at nothing: google.auth.default fails
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(AuthenticationError, match="no Google credentials"):
        render(fake, req(), env={})
    assert fake.transport.calls == 0
