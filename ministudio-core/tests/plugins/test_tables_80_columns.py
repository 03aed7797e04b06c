"""Tables read well at 80 columns and in full when piped: short values (names, numbers,
statuses) are never broken, long ones wrap inside their cell or under their row, and piped
output keeps every value whole (`providers list | cat` kept cutting the NOTE column)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from ministudio.cli.tables import Column, print_table, render_plain
from ministudio.cli.words import counted
from ministudio.engine.progress import LiveDisplay

LONG = ("any neural2 voice name, e.g. en-US-Neural2-D; `ministudio voices --provider google` "
        "lists them all with their languages and genders")
COLUMNS = [Column("PROVIDER"), Column("MODEL"), Column("VOICE"), Column("LANGUAGE"),
           Column("GENDER"), Column("DESCRIPTION", wide=True)]
ROWS = [["espeak", "espeak-ng", "en_US-joe-medium+f1", "yue-Latn-jyutping", "female", LONG],
        ["openai", "gpt-4o-mini-tts", "alloy", "en-US", "-", "short"]]


def _terminal(width: int) -> Console:
    return Console(width=width, force_terminal=True, record=True, color_system=None)


def _lines(console: Console) -> list[str]:
    return console.export_text().splitlines()


def _words(text: str) -> str:
    return " ".join(text.split())


def test_at_80_columns_no_line_is_longer_and_no_short_value_is_broken() -> None:
    for width in (80, 100, 160):
        console = _terminal(width)
        print_table(COLUMNS, ROWS, console=console)
        lines = _lines(console)
        assert all(len(line) <= width for line in lines), (width, lines)
        for row in ROWS:
            for value in row[:5]:
                assert any(value in line for line in lines), (width, value, lines)
        assert LONG in _words(" ".join(lines)), (width, lines)


def test_piped_output_is_whole_and_aligned() -> None:
    text = render_plain(COLUMNS, ROWS)
    lines = text.splitlines()
    assert len(lines) == 3 and lines[1].endswith(LONG)
    assert lines[0].index("DESCRIPTION") == lines[1].index(LONG) == lines[2].index("short")


def test_the_progress_line_stays_one_line_and_reasons_are_complete() -> None:
    reason = ("vertex/veo-3.1-generate-001: the prompt was rejected by the safety filters "
              "(support code 58061214); rephrase the action")
    with LiveDisplay(console=_terminal(80)) as live:
        live({"event": "render.start", "shot_ids": ["market.wide-establishing", "b"],
              "estimated_cost": "12.80", "currency": "USD", "concurrency": 2})
        live({"event": "shot", "shot": "market.wide-establishing", "state": "failed",
              "reason": reason})
        live({"event": "assemble", "state": "start"})
    console = _terminal(80)
    console.print(live._render())  # the last frame the live display showed
    lines = _lines(console)
    assert all(len(line) <= 80 for line in lines)
    status = [line for line in lines if "elapsed" in line]
    assert len(status) == 1 and "cost 0.00 of ~12.80 USD" in status[0]
    assert any("market.wide-establishing" in line and "failed" in line for line in lines)
    notes = [line.split("│")[5].strip() for line in lines if line.count("│") == 6]
    assert "".join(notes).replace(" ", "") == reason.replace(" ", "")  # wrapped, not cut


def test_counts_are_singular_for_one() -> None:
    assert counted(1, "scene") == "1 scene" and counted(2, "scene") == "2 scenes"
    assert counted(0, "clip") == "0 clips"


def test_providers_list_piped_keeps_every_note_and_both_packages_of_a_clash(site: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": "80"}
    for key in ("MINISTUDIO_LOAD_PLUGINS", "MINISTUDIO_DISABLE_PLUGINS",
                "MINISTUDIO_STRICT_PLUGINS"):
        env.pop(key, None)
    proc = subprocess.run([sys.executable, "-m", "ministudio", "providers", "list"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    dup_rows = [line for line in out.splitlines() if line.startswith("dupcam ")]
    assert len(dup_rows) == 2
    assert any("ms-dup-a 1.0.0" in r for r in dup_rows)
    assert any("ms-dup-b 2.0.0" in r for r in dup_rows)
    clash = ("conflict: provider name 'dupcam' is offered by ms-dup-a 1.0.0 (plugin 'ms_dup_a') "
             "and ms-dup-b 2.0.0 (plugin 'ms_dup_b'); disable one with "
             "MINISTUDIO_DISABLE_PLUGINS=<plugin>")
    assert f"  dupcam (ms-dup-a 1.0.0): {clash}" in out
    assert f"  dupcam (ms-dup-b 2.0.0): {clash}" in out
    assert "register_providers raised RuntimeError: registration exploded" in out
    assert "…" not in out  # nothing cut
