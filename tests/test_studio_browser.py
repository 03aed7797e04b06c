"""The studio in a real browser (Debian's headless Chromium driven by Playwright): open it,
break the film and see the located error at its line, fix it, plan, render offline with live
progress, play the film to its end, re-render one shot, pick its other take, download the film.

A screenshot of every step is saved under ``MINISTUDIO_STUDIO_SCREENSHOTS`` (a folder) when
set, else under the test's temporary folder. Runs wherever ``/usr/bin/chromium`` exists; in CI
(``CI=true``) a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

LONG = 180_000  # ms: a render of the two-shot film takes seconds, on a busy machine more


def test_write_plan_render_watch_fix_in_a_browser(tmp_path: Path, studio_server,
                                                   init_film, chromium) -> None:
    from playwright.sync_api import sync_playwright

    shots_dir = Path(os.environ.get("MINISTUDIO_STUDIO_SCREENSHOTS") or tmp_path / "screens")
    shots_dir.mkdir(parents=True, exist_ok=True)
    root = tmp_path / "studio"
    film = init_film(root / "hello")
    original = film.read_text()
    studio = studio_server(root)
    step = iter(range(1, 100))

    with sync_playwright() as pw:
        browser = chromium(pw)
        context = browser.new_context(viewport={"width": 1280, "height": 860},
                                      accept_downloads=True)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        def wait_js(expression: str, timeout: int = 90_000) -> None:
            """Poll a JS expression (evaluate is not bound by the page's CSP, which forbids
            the eval wait_for_function needs; the studio's own scripts run under it)."""
            deadline = time.monotonic() + timeout / 1000
            while not page.evaluate(expression):
                if time.monotonic() > deadline:
                    raise AssertionError(f"still false after {timeout} ms: {expression}")
                page.wait_for_timeout(200)

        def snap(name: str) -> None:
            page.screenshot(path=str(shots_dir / f"{next(step):02d}-{name}.png"), full_page=True)

        # 1. open the printed URL: the cookie is set, the token leaves the address bar
        page.goto(studio.open_url)
        assert "token=" not in page.url
        card = page.locator("article.project", has_text="Meet Pip")
        card.wait_for()
        assert "never rendered" in card.inner_text()
        snap("projects")

        # 2. edit: the film is valid; break it and see the located error at its line
        card.get_by_role("link", name="Edit").click()
        page.wait_for_url("**/edit/hello/film.yaml")
        status = page.locator("#check-status")
        wait_js("document.getElementById('check-status').textContent === 'valid'")
        assert page.locator("#characters img").count() == 1  # Pip's portrait
        snap("edit-valid")
        broken = original.replace("        type: close-up\n",
                                  "        type: close-up\n        duraton: 4\n")
        line = broken.splitlines().index("        duraton: 4") + 1
        page.fill("#source", broken)
        problem = page.locator("#problems li.problem", has_text="duraton")
        problem.wait_for()
        assert f"line {line}" in problem.inner_text()
        assert page.locator(f"#gutter .ln.bad[data-line='{line}']").count() == 1
        assert "problem" in status.inner_text()
        problem.click()  # selects the offending line in the editor
        selected = page.evaluate("(() => { const s = document.getElementById('source');"
                                 " return s.value.slice(s.selectionStart, s.selectionEnd); })()")
        assert "duraton" in selected
        snap("edit-located-error")

        # 3. fix it and save
        page.fill("#source", original)
        wait_js("document.getElementById('check-status').textContent === 'valid'")
        assert page.locator("#problems li").count() == 0
        page.click("#save")
        wait_js("document.getElementById('save-status').textContent === 'saved'")
        assert film.read_text() == original
        snap("edit-fixed")

        # 4. plan: the storyboard strip, before anything is spent
        page.click("#tab-plan")
        page.wait_for_url("**/plan/hello/film.yaml")
        frames = page.locator("#storyboard article.frame")
        frames.nth(1).wait_for()
        assert frames.count() == 2
        assert "hello.wave" in frames.nth(0).inner_text()
        assert "slow pan right" in frames.nth(1).inner_text()
        assert "estimated 0.00 USD" in page.locator("#plan-totals").inner_text()
        snap("plan-storyboard")

        # 5. render offline, with live progress
        page.click("#tab-render")
        page.wait_for_url("**/render/hello/film.yaml")
        page.click("#start")
        page.locator("#shots tbody tr[data-shot='hello.wave']").wait_for(timeout=LONG)
        # a shot's live state while the render runs (not only its final one)
        wait_js(
            "[...document.querySelectorAll('#shots tbody tr')].some(r => /generating|validating"
            "|scoring/.test(r.className)) && document.getElementById('run-state').textContent"
            " === 'running'", timeout=LONG)
        assert "elapsed" in page.locator("#run-line").inner_text()
        snap("render-live")
        page.locator("#run-done").wait_for(state="visible", timeout=LONG)
        rows = page.locator("#shots tbody tr")
        assert rows.count() == 2 and all("done" in rows.nth(i).inner_text() for i in range(2))
        assert page.locator("#run-state").inner_text() == "done"
        snap("render-done")

        # 6. watch: the film plays to its end, with its subtitle track
        page.click("#run-done a")
        page.wait_for_url("**/watch/hello/film.yaml")
        page.locator("#player").wait_for()
        assert page.locator("#player track[kind=subtitles]").count() == 1
        wait_js("document.getElementById('player').readyState >= 1",
                               timeout=LONG)
        duration = page.evaluate("document.getElementById('player').duration")
        assert duration > 5
        snap("watch")
        page.evaluate("(() => { const p = document.getElementById('player'); p.muted = true;"
                      " p.playbackRate = 4; return p.play(); })()")
        wait_js("document.getElementById('player').ended === true"
                               " && document.getElementById('player').dataset.ended === '1'",
                               timeout=LONG)
        snap("watch-ended")

        # 7. a shot's take, prompt and attempts; re-render that one shot
        page.click(".shot-chip[data-shot='hello.chart']")
        detail = page.locator("#shot-detail")
        detail.wait_for(state="visible")
        assert "Attempts" in detail.inner_text() and "Pip" in detail.inner_text()
        assert detail.locator("video.take").count() == 1
        snap("shot-detail")
        page.click("#rerender-shot")
        wait_js(
            "document.getElementById('rerender-line').dataset.state === 'done'", timeout=LONG)
        manifest = json.loads((root / "hello" / "out" / "film" / "manifest.json").read_text())
        wave, chart = manifest["shots"]
        assert wave["cached"] is True and chart["cached"] is False
        # only the forced shot was made again (its clip, and its narration with it, as
        # `render --force` does); the other came from the cache
        assert wave["attempts"] == [] and manifest["provider_calls"] == len(chart["attempts"])
        assert "generate" in {a["stage"] for a in chart["attempts"]}
        page.locator(".shot-chip[data-shot='hello.chart']").wait_for()
        page.click(".shot-chip[data-shot='hello.chart']")
        # both takes of the shot, the new one kept, each with Pip's identity crop
        wait_js("document.querySelectorAll('#takes .take-card').length === 2")
        assert page.locator("#takes .take-card.kept").count() == 1
        assert page.locator("#takes .crop img").count() == 2
        snap("rerendered-shot")

        # 7b. pick the other take: the film is assembled again (nothing generated), and the
        # shot shows that take as kept and picked
        other = page.locator("#takes .take-card:not(.kept)")
        assert other.count() == 1
        attempt = other.get_attribute("data-attempt")
        assert attempt
        other.locator("button.use-take").click()
        wait_js(
            "document.getElementById('rerender-line').dataset.state === 'done'", timeout=LONG)
        wait_js(f"!!document.querySelector(\"#takes .take-card.kept.picked[data-attempt='{attempt}']\")")
        assert page.locator("#takes .take-card.kept").count() == 1
        assert page.locator("#takes .take-card.kept button.use-take").count() == 0
        manifest = json.loads((root / "hello" / "out" / "film" / "manifest.json").read_text())
        assert manifest["shots"][1]["take"] == {"attempt": int(attempt), "picked": True}
        assert manifest["provider_calls"] == 0
        snap("picked-take")

        # 8. download the film (and the sidecars are offered)
        for name in ("srt", "vtt", "timeline", "report", "manifest"):
            assert page.locator(f"#download-{name}").count() == 1, name
        with page.expect_download() as info:
            page.click("#download-film")
        download = info.value
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        assert saved.suffix == ".mp4" and saved.read_bytes()[4:8] == b"ftyp"
        assert saved.stat().st_size == (root / "hello" / "out" / "film" / saved.name).stat().st_size
        snap("downloaded")

        # the projects page now shows the last render (status and its contact sheet)
        page.click("a.brand")
        card = page.locator("article.project", has_text="Meet Pip")
        card.wait_for()
        assert "done" in card.inner_text()
        assert "contact-sheet.png" in (card.locator("img").get_attribute("src") or "")
        # draft a new film from a sentence: it opens in the editor, valid
        page.fill("#draft-text", "Mira waters her plants on a sunny balcony. "
                                 "She smiles at a passing bird.")
        page.fill("#draft-folder", "balcony")
        snap("projects-rendered-and-draft")
        page.click("#draft-form button[type=submit]")
        page.wait_for_url("**/edit/balcony/film.yaml", timeout=LONG)
        wait_js("document.getElementById('check-status').textContent === 'valid'")
        assert "Mira" in page.locator("#source").input_value()
        assert page.locator("#characters img").count() >= 1  # a placeholder portrait
        snap("drafted-film")

        # the API page is served by the studio itself (no CDN)
        page.goto(studio.url + "/docs/api")
        page.locator("table.api").wait_for()
        assert page.locator("table.api tbody tr").count() >= 10
        snap("api-docs")
        assert errors == [], errors
        browser.close()
    assert len(list(shots_dir.glob("*.png"))) >= 16


def test_a_paid_render_shows_its_estimate_and_can_be_cancelled_in_a_browser(
        tmp_path: Path, studio_server, init_film, chromium) -> None:
    from playwright.sync_api import sync_playwright

    shots_dir = Path(os.environ.get("MINISTUDIO_STUDIO_SCREENSHOTS") or tmp_path / "screens")
    shots_dir.mkdir(parents=True, exist_ok=True)
    root = tmp_path / "studio"
    init_film(root / "paid")
    (root / "paid" / "ministudio.toml").write_text(
        '[pricing.animatic."animatic-v1"]\nper_second = "0.05"\n')
    studio = studio_server(root)
    with sync_playwright() as pw:
        browser = chromium(pw)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(studio.open_url.replace("/?", "/render/paid/film.yaml?"))
        page.wait_for_url("**/render/paid/film.yaml")
        page.click("#start")
        confirm = page.locator("#confirm")
        confirm.wait_for(state="visible")
        assert "0.44 USD" in confirm.inner_text() and "Spend it?" in confirm.inner_text()
        page.screenshot(path=str(shots_dir / "paid-1-estimate.png"))
        page.click("#confirm-no")
        assert confirm.is_hidden()
        assert studio.client.get("/api/renders").json()["renders"] == []  # nothing spent
        page.click("#start")
        confirm.wait_for(state="visible")
        page.click("#confirm-yes")
        page.locator("#run-state.state-running").wait_for(timeout=LONG)
        page.click("#cancel")
        page.locator("#run-state.state-cancelled").wait_for(timeout=LONG)
        assert page.locator("#start").is_enabled()
        page.screenshot(path=str(shots_dir / "paid-2-cancelled.png"))
        [run] = studio.client.get("/api/renders").json()["renders"]
        assert run["state"] == "cancelled"
        browser.close()
