"""The job kit example, run through core's conformance suite against the fake task API:
capability limits, error mapping, secrets, image-to-video, and the paid-job risky paths
(crash then re-attach, a 503 while polling, an HTML download, the call deadline, a 503 on
every request in turn) through core's real engine."""

from typing import Any

import ministudio_taskapi.plugin
from ministudio.testing.conformance import ClipProviderConformance
from ministudio.testing.taskapi import FakeTaskAPI


class TestTaskAPIConformance(ClipProviderConformance):
    plugin = ministudio_taskapi.plugin
    provider = "taskapi"
    env = {"TASKAPI_KEY": "test-key"}
    settings = {"poll_initial_s": 0.02, "poll_max_s": 0.05, "fetch_backoff_s": 0.0}
    transport_kind = "httpx"

    _fake: Any = None

    def respond(self, request: Any) -> Any:
        if self._fake is None:
            self._fake = FakeTaskAPI(job_s=0.2)
        return self._fake(request)

    def error_response(self, request: Any, status: int) -> Any:
        import httpx

        headers = {"retry-after": "0"} if status == 429 else {}
        return httpx.Response(status, json={"error": {"code": str(status),
                                                      "message": "simulated"}}, headers=headers)
