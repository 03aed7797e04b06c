"""Drafting with a chat model through the real huggingface_hub InferenceClient over a mock
httpx2 transport: the chat-completion body, a repair round, and an answer that never
validates."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from ministudio.config import load_settings
from ministudio.draft.run import DraftInvalidError, draft_async
from ministudio.plugins import PluginManager
from ministudio.testing import RecordingTransport

GOOD = {"title": "Two Friends", "format": {"aspect_ratio": "16:9"},
        "characters": {"mo": {"name": "Mo", "description": "a boy"},
                       "li": {"name": "Li", "description": "a girl"}},
        "environments": {"park": {"description": "a sunny park"}},
        "scenes": [{"id": "park", "environment": "park", "characters": ["mo", "li"], "shots": [
            {"id": "hi", "action": "Mo waves at Li.", "dialogue": [{"speaker": "mo", "line": "Hi!"}]},
            {"id": "run", "action": "They run to the swings.", "duration": 3}]}]}
BAD = json.loads(json.dumps(GOOD))
BAD["scenes"][0]["shots"][0]["dialogue"][0]["speaker"] = "max"  # nobody called max
BAD["scenes"][0]["shots"][1]["duration"] = -2


class FakeChat:
    def __init__(self, answers: list[dict[str, Any] | str]) -> None:
        self.answers = answers
        self.bodies: list[dict[str, Any]] = []
        self.transport = RecordingTransport(self.handle)

    def handle(self, request: Any) -> Any:
        import httpx2

        if request.method != "POST":  # the Hub's own lookups
            return httpx2.Response(404, json={"error": "not here"})
        assert request.headers["authorization"] == "Bearer hf_test"
        assert str(request.url) == "https://router.huggingface.co/v1/chat/completions"
        body = json.loads(request.content)
        self.bodies.append(body)
        answer = self.answers[min(len(self.bodies), len(self.answers)) - 1]
        content = answer if isinstance(answer, str) else json.dumps(answer)
        return httpx2.Response(200, json={
            "id": "c1", "object": "chat.completion", "created": 1, "model": body["model"],
            "system_fingerprint": "", "choices": [{"index": 0, "finish_reason": "stop",
                                                   "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 800, "completion_tokens": 200, "total_tokens": 1000}})


def run(fake: FakeChat, tmp_path: Path, rounds: int = 3) -> Any:
    env = {"HF_TOKEN": "hf_test"}
    return asyncio.run(draft_async(
        'Mo and Li meet in a sunny park. "Hi!" Mo says. They run to the swings.',
        provider="hf", rounds=rounds, directory=tmp_path, manager=PluginManager(env=env),
        settings=load_settings(project_dir=tmp_path, env=env), transport=fake.transport.httpx2()))


def test_chat_completion_body_asks_for_the_film_json_schema(tmp_path: Path) -> None:
    fake = FakeChat([GOOD])
    outcome = run(fake, tmp_path)
    assert outcome.rounds == 1
    body = fake.bodies[0]
    assert body["model"] == "Qwen/Qwen2.5-72B-Instruct"
    assert body["response_format"]["type"] == "json_schema"
    schema = body["response_format"]["json_schema"]["schema"]
    assert schema["title"] == "MiniStudio film" and "Shot" in schema["$defs"]
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "sunny park" in body["messages"][1]["content"]
    assert set(outcome.film.characters) == {"mo", "li"}


def test_two_errors_are_repaired_in_the_second_round(tmp_path: Path) -> None:
    fake = FakeChat([BAD, "```json\n" + json.dumps(GOOD) + "\n```"])  # fenced, as chat models do
    outcome = run(fake, tmp_path)
    assert outcome.rounds == 2 and len(outcome.repaired[0]) == 2
    repair = fake.bodies[1]["messages"][1]["content"]
    assert "dialogue[0].speaker" in repair and "unknown character 'max'" in repair
    assert "shots[1].duration" in repair


def test_never_valid_ends_with_a_clear_error_and_the_last_problems(tmp_path: Path) -> None:
    fake = FakeChat(["this is not a film"])
    with pytest.raises(DraftInvalidError) as caught:
        run(fake, tmp_path, rounds=3)
    assert len(fake.bodies) == 3
    assert caught.value.problems and "expected a mapping" in caught.value.problems[0]
    assert str(caught.value).startswith("hf: the drafted film still had 1 problem after 3 rounds")
