"""The studio's Batch page in a real browser (Debian's headless Chromium driven by
Playwright): pick two films, start the batch, see the live per-film table reach ``done``.
Runs wherever ``/usr/bin/chromium`` exists; in CI a missing browser is a failure."""

from __future__ import annotations

import time
from pathlib import Path


def test_batch_page_renders_two_films_with_a_live_table(tmp_path: Path, studio_server,
                                                        init_film, chromium) -> None:
    from playwright.sync_api import sync_playwright

    root = tmp_path / "studio"
    init_film(root / "a")
    init_film(root / "b")
    init_film(root / "c")
    studio = studio_server(root)
    with sync_playwright() as pw:
        browser = chromium(pw)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        def wait_js(expression: str, timeout: float = 180) -> None:
            deadline = time.monotonic() + timeout
            while not page.evaluate(expression):
                if time.monotonic() > deadline:
                    raise AssertionError(f"still false after {timeout} s: {expression}")
                page.wait_for_timeout(200)

        page.goto(studio.open_url)
        page.click("nav.main-nav a[href='/batch']")
        page.locator("#batch-films input[value='a/film.yaml']").check()
        page.locator("#batch-films input[value='c/film.yaml']").check()
        page.click("#batch-start")
        wait_js("document.querySelectorAll('#batch-table tbody tr').length === 2")
        wait_js("document.getElementById('batch-state').textContent === 'done'")
        rows = page.locator("#batch-table tbody tr")
        assert [rows.nth(i).get_attribute("data-film") for i in range(2)] == ["a", "c"]
        assert all(rows.nth(i).locator(".badge").inner_text() == "done" for i in range(2))
        assert "2 done, 0 failed" in page.locator("#batch-line").inner_text()
        assert page.locator("#batch-cancel").is_disabled()
        page.screenshot(path=str(tmp_path / "batch.png"), full_page=True)
        browser.close()
    assert not errors, errors
    assert (root / "a" / "out" / "a" / "manifest.json").is_file()
    assert not (root / "b" / "out").exists()
