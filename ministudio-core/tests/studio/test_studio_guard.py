"""The studio's security and API contract, in-process (Starlette's TestClient; no render):
token, host, origin, path and symlink escapes, hidden files, JSON errors, located problems,
no secrets, and the OpenAPI document against the routes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

pytest.importorskip("starlette")

from ministudio.studio.app import create_app  # noqa: E402
from ministudio.studio.security import COOKIE, allowed_hosts  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

TOKEN = "t" * 8 + "0123456789abcdef"
BASE = "http://127.0.0.1:8321"
SECRET = "sk-studio-test-0123456789-do-not-leak"


@pytest.fixture()
def studio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MINISTUDIO_CONFIG", str(tmp_path / "no-config.toml"))
    root = tmp_path / "studio"
    film_dir = root / "hello"
    template = files("ministudio.film") / "templates"
    shutil.copytree(str(template), film_dir, ignore=shutil.ignore_patterns("__*"))
    (root / ".env").write_text(f"OPENAI_API_KEY={SECRET}\n")
    (film_dir / ".env").write_text(f"GEMINI_API_KEY={SECRET}\n")
    (film_dir / "ministudio.toml").write_text("[render]\nconcurrency = 2\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"\x89PNG not yours")
    (outside / "film.yaml").write_text("title: outside\n")
    os.symlink(outside / "secret.png", root / "escape.png")
    os.symlink(outside, root / "elsewhere")
    app = create_app(root, token=TOKEN, hosts=allowed_hosts("127.0.0.1", 8321))
    with TestClient(app, base_url=BASE) as client:
        client.root = root  # type: ignore[attr-defined]
        yield client


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.mark.parametrize("path", ["/", "/api/projects", "/api/plan/hello/film.yaml",
                                  "/files/hello/refs/pip.png", "/static/studio.js",
                                  "/api/openapi.json", "/docs/api"])
def test_every_request_needs_the_token(studio: TestClient, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token-0000000000"},
                    {"Cookie": f"{COOKIE}=wrong-token-0000000000"}):
        res = studio.get(path, headers=headers)
        assert res.status_code == 401, (path, headers)
        assert "token" in res.json()["error"]
    assert studio.get(path, headers=auth()).status_code == 200


def test_the_printed_url_sets_a_strict_cookie_and_drops_the_token(studio: TestClient) -> None:
    res = studio.get(f"/plan/hello/film.yaml?token={TOKEN}&x=1", follow_redirects=False)
    assert res.status_code == 303
    assert res.headers["location"] == "/plan/hello/film.yaml?x=1"
    cookie = res.headers["set-cookie"]
    assert f"{COOKIE}={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = studio.get("/plan/hello/film.yaml", headers={"Cookie": f"{COOKIE}={TOKEN}"})
    assert page.status_code == 200 and "storyboard" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert studio.get(f"/?token=nope{TOKEN}").status_code == 401


def test_foreign_hosts_and_origins_are_refused(studio: TestClient) -> None:
    # DNS rebinding: the right token, the wrong Host
    assert studio.get("/api/projects", headers={**auth(), "Host": "evil.example:8321"}
                      ).status_code == 400
    for origin in ("http://evil.example", "null", "http://127.0.0.1:9999"):
        res = studio.post("/api/renders", headers={**auth(), "Origin": origin},
                          json={"film": "hello/film.yaml"})
        assert res.status_code == 403, origin
        assert res.json() == {"error": "cross-origin request refused"}
    cross = studio.get("/api/projects", headers={**auth(), "Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    # a page's change (cookie) must carry the studio's own Origin
    cookie = {"Cookie": f"{COOKIE}={TOKEN}"}
    bare = studio.put("/api/film/hello/film.yaml", headers=cookie, json={"text": "title: x\n"})
    assert bare.status_code == 403
    own = studio.post("/api/validate/hello/film.yaml", headers={**cookie, "Origin": BASE},
                      json={"text": "title: x\n"})
    assert own.status_code == 200
    assert "access-control-allow-origin" not in {k.lower() for k in own.headers}


@pytest.mark.parametrize("path,status", [
    ("/files/escape.png", 403),                 # a symlink to a file outside
    ("/files/elsewhere/secret.png", 403),       # through a symlinked folder
    ("/files/../outside/secret.png", 404),      # normalised away by the URL layer: not found
    ("/files/%2e%2e/outside/secret.png", 403),
    ("/files/hello/%2e%2e/%2e%2e/outside/secret.png", 403),
    ("/files/.env", 403),
    ("/files/hello/.env", 403),
    ("/files/hello/.ministudio/ledger.sqlite", 403),
    ("/files/hello/ministudio.toml", 403),     # settings are not served
    ("/files/hello/film.yaml", 403),           # films go through the API
    ("/files/hello/nothing.png", 404),
    ("/files/%00", 403),
    ("/api/film/elsewhere/film.yaml", 403),
    ("/api/film/%2e%2e/outside/film.yaml", 403),
    ("/api/plan/%2e%2e/outside/film.yaml", 403),
    ("/api/media/hello/film.yaml?name=../../../outside/secret.png", 403),
    ("/api/media/hello/film.yaml?name=ledger.sqlite", 403),
    ("/api/media/hello/film.yaml?name=ab/ab" + "0" * 62 + ".png", 404),
    ("/api/media/elsewhere/film.yaml?name=ab/ab" + "0" * 62 + ".png", 403),
])
def test_paths_never_escape_the_studio_folder(studio: TestClient, path: str, status: int) -> None:
    res = studio.get(path, headers=auth())
    assert res.status_code == status, (path, res.text)
    assert "error" in res.json()
    assert b"not yours" not in res.content


def test_served_files_are_sandboxed(studio: TestClient) -> None:
    res = studio.get("/files/hello/refs/pip.png", headers=auth())
    assert res.status_code == 200 and res.content[:4] == b"\x89PNG"
    assert res.headers["content-security-policy"].startswith("sandbox")
    assert res.headers["x-content-type-options"] == "nosniff"
    dl = studio.get("/files/hello/refs/pip.png?download=1", headers=auth())
    assert dl.headers["content-disposition"].startswith("attachment")


def test_bad_requests_get_json_errors_never_tracebacks(studio: TestClient) -> None:
    cases = [
        studio.post("/api/renders", headers=auth(), content=b"{not json"),
        studio.post("/api/renders", headers=auth(), json=["a list"]),
        studio.post("/api/renders", headers=auth(), json={"film": 3}),
        studio.post("/api/renders", headers=auth(), json={"film": "hello/refs/pip.png"}),
        studio.post("/api/renders", headers=auth(), json={"film": "hello/film.yaml",
                                                          "force": ["no-such-shot"]}),
        studio.post("/api/renders", headers=auth(), json={"film": "hello/film.yaml",
                                                          "max_cost": "lots"}),
        studio.get("/api/renders/nope", headers=auth()),
        studio.get("/api/no-such-endpoint", headers=auth()),
        studio.delete("/api/projects", headers=auth()),
        studio.post("/api/draft", headers=auth(), json={"text": "", "folder": "x"}),
    ]
    for res in cases:
        assert 400 <= res.status_code < 500, res.text
        body = res.json()
        assert isinstance(body["error"], str) and body["error"]
        assert "Traceback" not in res.text
    assert cases[4].status_code == 400 and "no-such-shot" in cases[4].json()["error"]


def test_located_problems_while_typing_and_after_saving(studio: TestClient) -> None:
    text = studio.get("/api/film/hello/film.yaml", headers=auth()).json()["text"]
    broken = text.replace("        type: close-up\n", "        type: close-up\n        duraton: 4\n")
    assert broken != text
    line = broken.splitlines().index("        duraton: 4") + 1
    res = studio.post("/api/validate/hello/film.yaml", headers=auth(), json={"text": broken})
    body = res.json()
    assert res.status_code == 200 and body["ok"] is False
    [problem] = [p for p in body["problems"] if "duraton" in p["text"]]
    assert problem["line"] == line and "duraton" in problem["path"]
    # nothing was saved by validating
    assert "duraton" not in (studio.root / "hello" / "film.yaml").read_text()  # type: ignore[attr-defined]
    syntax = studio.post("/api/validate/hello/film.yaml", headers=auth(),
                         json={"text": "title: [unclosed\n"}).json()
    assert syntax["ok"] is False and syntax["problems"][0]["line"] is not None
    saved = studio.put("/api/film/hello/film.yaml", headers=auth(), json={"text": text}).json()
    assert saved["saved"] and saved["ok"] and saved["problems"] == []
    assert [c["id"] for c in saved["info"]["characters"]] == ["pip"]
    assert saved["info"]["characters"][0]["images"] == ["/files/hello/refs/pip.png"]


def test_plan_is_a_storyboard_and_renders_of_a_bad_film_are_refused(studio: TestClient) -> None:
    plan = studio.get("/api/plan/hello/film.yaml", headers=auth()).json()
    assert [c["id"] for c in plan["clips"]] == ["hello.wave", "hello.chart"]
    wave, chart = plan["clips"]
    assert wave["shot_type"] == "medium" and chart["camera"]["movement"] == "slow pan right"
    assert wave["speech"] and wave["prompt"] and plan["estimated_cost"]
    film = studio.root / "hello" / "film.yaml"  # type: ignore[attr-defined]
    film.write_text(film.read_text().replace("environment: studio", "environment: nowhere"))
    res = studio.post("/api/renders", headers=auth(), json={"film": "hello/film.yaml"})
    assert res.status_code == 422
    assert any("nowhere" in p["text"] for p in res.json()["problems"])


def test_no_secret_in_any_response(studio: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", SECRET)
    seen = []
    for path in ("/", "/api/projects", "/api/film/hello/film.yaml", "/api/plan/hello/film.yaml",
                 "/api/renders", "/api/openapi.json", "/docs/api", "/edit/hello/film.yaml",
                 "/files/.env", "/files/hello/.env", "/api/film/.env"):
        res = studio.get(path, headers=auth())
        seen.append(res.text)
        assert SECRET not in res.text, path
    assert any("Meet Pip" in text for text in seen)


def test_openapi_documents_every_api_route(studio: TestClient) -> None:
    doc = studio.get("/api/openapi.json", headers=auth()).json()
    app = studio.app.app  # inside the guard
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    served = set()
    for mount in app.routes:
        if getattr(mount, "path", "") == "/api":
            for route in mount.routes:
                if route.include_in_schema:
                    path = "/api" + route.path.replace(":path", "")
                    served |= {(path, m.lower()) for m in route.methods if m != "HEAD"}
    assert served and documented == served
    for ops in doc["paths"].values():
        for op in ops.values():
            assert op["summary"] and op["responses"]
    page = studio.get("/docs/api", headers=auth())
    assert page.status_code == 200 and "/api/renders/{run}/events" in page.text
    assert 'src="http' not in page.text and 'href="http' not in page.text  # nothing from a CDN


def test_remote_bind_needs_a_flag_and_cold_start_stays_light(tmp_path: Path) -> None:
    env = {**os.environ, "MINISTUDIO_CONFIG": str(tmp_path / "none.toml")}
    proc = subprocess.run([sys.executable, "-m", "ministudio", "studio", str(tmp_path),
                           "--host", "0.0.0.0", "--port", "0"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 2 and "--allow-remote" in proc.stderr
    probe = subprocess.run([sys.executable, "-c", (
        "import sys\nfrom ministudio.cli import main\nsys.argv = ['ministudio', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m for m in ('starlette', 'uvicorn', 'jinja2') "
        "if m in sys.modules)))").replace("import sys", "import sys, json", 1)],
        capture_output=True, text=True, env=env, timeout=60)
    assert "studio" in probe.stdout
    assert json.loads(probe.stdout.strip().splitlines()[-1]) == []


def test_draft_writes_a_new_film_inside_the_folder_only(studio: TestClient) -> None:
    res = studio.post("/api/draft", headers=auth(), json={
        "text": "Mira waters her plants on a sunny balcony. She smiles at a passing bird.",
        "folder": "balcony"})
    assert res.status_code == 201, res.text
    assert res.json()["film"] == "balcony/film.yaml"
    film = studio.get("/api/film/balcony/film.yaml", headers=auth()).json()
    assert film["ok"], film["problems"]
    assert all(c["images"] for c in film["info"]["characters"])  # placeholder portraits
    again = studio.post("/api/draft", headers=auth(), json={"text": "x y z.", "folder": "balcony"})
    assert again.status_code == 409
    for folder in ("../outside-draft", "elsewhere/new", ".hidden"):
        escaped = studio.post("/api/draft", headers=auth(), json={"text": "A cat naps.",
                                                                  "folder": folder})
        assert escaped.status_code == 403, folder
    assert not (studio.root.parent / "outside-draft").exists()  # type: ignore[attr-defined]
    assert not (studio.root.parent / "outside" / "new").exists()  # type: ignore[attr-defined]
