"""Drafting with Gemini through the real google-genai client over a mock transport: the
request body, a repair round for an answer with two schema errors, and an answer that never
validates."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from ministudio.config import load_settings
from ministudio.dispatch import Dispatcher, RetryPolicy
from ministudio.draft.run import DraftInvalidError, draft_async
from ministudio.plugins import PluginManager
from ministudio.testing import RecordingTransport

from ministudio_vertex.testing import ENV, SETTINGS

GOOD = {"title": "The Orb", "characters": {"ada": {"name": "Ada", "description": "a researcher, a woman"}},
        "environments": {"lab": {"description": "a dim lab"}},
        "scenes": [{"id": "lab", "environment": "lab", "characters": ["ada"], "shots": [
            {"id": "find", "action": "Ada finds a glowing orb.", "duration": 4},
            {"id": "touch", "action": "Ada reaches for it.", "dialogue": [
                {"speaker": "ada", "line": "What are you?"}]}]}]}
#: two schema errors: a duration as text, and a key the format does not have
BAD = json.loads(json.dumps(GOOD))
BAD["scenes"][0]["shots"][0]["duration"] = "four"
BAD["scenes"][0]["shots"][1]["camera_angle"] = "low"


class FakeGemini:
    def __init__(self, answers: list[dict[str, Any]]) -> None:
        self.answers = answers
        self.bodies: list[dict[str, Any]] = []
        self.transport = RecordingTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer test-access-token"
        assert request.url.path.endswith("/publishers/google/models/gemini-2.5-flash:generateContent")
        body = json.loads(request.content)
        self.bodies.append(body)
        answer = self.answers[min(len(self.bodies), len(self.answers)) - 1]
        return httpx.Response(200, json={"candidates": [{"content": {"role": "model", "parts": [
            {"text": json.dumps(answer)}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 900, "candidatesTokenCount": 300}})


def run(fake: FakeGemini, tmp_path: Path, rounds: int = 3) -> Any:
    manager = PluginManager(env=ENV)
    settings = load_settings(project_dir=tmp_path, env=ENV)
    dispatcher_kw = {"transport": fake.transport.httpx()}
    return asyncio.run(draft_async(
        "A researcher finds a glowing orb in the lab and asks what it is.", provider="vertex",
        hints={"aspect_ratio": "9:16"}, rounds=rounds, directory=tmp_path, manager=manager,
        settings=_with_vertex(settings), **dispatcher_kw))


def _with_vertex(settings: Any) -> Any:
    settings.data.setdefault("providers", {})["vertex"] = dict(SETTINGS)
    return settings


def test_request_body_carries_the_schema_and_structured_output(tmp_path: Path) -> None:
    fake = FakeGemini([GOOD])
    outcome = run(fake, tmp_path)
    assert outcome.rounds == 1 and outcome.provider == "vertex"
    body = fake.bodies[0]
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"]["title"] == "MiniStudio film"
    assert "scenes" in config["responseJsonSchema"]["properties"]
    assert "MiniStudio film" in body["systemInstruction"]["parts"][0]["text"]
    user = body["contents"][0]["parts"][0]["text"]
    assert "glowing orb" in user and '"aspect_ratio": "9:16"' in user
    assert outcome.film.format.aspect_ratio == "9:16"  # the user's choice is kept


def test_two_schema_errors_are_repaired_in_the_second_round(tmp_path: Path) -> None:
    fake = FakeGemini([BAD, GOOD])
    outcome = run(fake, tmp_path)
    assert outcome.rounds == 2 and len(fake.bodies) == 2
    assert len(outcome.repaired[0]) == 2
    repair = fake.bodies[1]["contents"][0]["parts"][0]["text"]
    assert "scenes[0].shots[0].duration" in repair and "camera_angle" in repair
    assert '"four"' in repair  # the previous answer is sent back to fix
    assert [sh.id for sh in outcome.film.scenes[0].shots] == ["find", "touch"]


def test_an_answer_that_never_validates_ends_with_the_last_errors(tmp_path: Path) -> None:
    fake = FakeGemini([BAD])
    with pytest.raises(DraftInvalidError) as caught:
        run(fake, tmp_path, rounds=2)
    assert len(fake.bodies) == 2
    assert "after 2 rounds" in caught.value.message
    assert len(caught.value.problems) == 2
    assert any("duration" in p for p in caught.value.problems)
    assert "--rounds" in (caught.value.hint or "")
