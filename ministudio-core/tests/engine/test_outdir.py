"""``--out`` is checked before any work, locked while a render writes it, and swept of what
dead renders left; the project's state folder is swept of dead renders' work folders."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ministudio.cli.render  # noqa: F401 - loaded before a test drops privileges
import ministudio.compile  # noqa: F401
import ministudio.film  # noqa: F401
import ministudio.log  # noqa: F401
import pytest
from chaos import ChaosClipPlugin, FakeSpeechPlugin
from ministudio.cli import main
from ministudio.config import load_settings
from ministudio.engine import RenderLockedError, render
from ministudio.engine.lock import OutLock, ProjectLock
from ministudio.engine.outdir import MARKER, OutputFolderError, check_out_dir
from ministudio.plugins import PluginManager
from test_render import _project as _film_in

CHILD = Path(__file__).with_name("render_child.py")


def _project(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return _film_in(folder)


def _env(tmp_path: Path) -> tuple[PluginManager, Any, ChaosClipPlugin, FakeSpeechPlugin]:
    manager = PluginManager(load_entrypoints=False, env={})
    clip, voice = ChaosClipPlugin(), FakeSpeechPlugin()
    manager.register(clip, "chaos")
    manager.register(voice, "fakevoice")
    settings = load_settings(project_dir=tmp_path, env={}, user_config=tmp_path / "none.toml",
                             overrides=("identity.threshold=0.0",))
    return manager, settings, clip, voice


def _refused(film: Path, out: Any, tmp_path: Path, match: str) -> None:
    """``render`` refuses ``out`` with one line, before any provider call or file write."""
    manager, settings, clip, voice = _env(tmp_path)
    state = film.parent / ".ministudio"
    had_state = state.exists()
    with pytest.raises(OutputFolderError, match=match) as ei:
        render(film, out=out, manager=manager, settings=settings)
    assert "\n" not in str(ei.value) and ei.value.hint
    assert clip.calls == 0 and voice.calls == 0
    assert state.exists() == had_state  # not even the project's lock was taken


def _cli(*args: str) -> tuple[int, list[str]]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        with pytest.raises(SystemExit) as ei:
            main(["render", *args])
    return ei.value.code, err.getvalue().splitlines()


def _cli_refuses(film: Path, out: str, match: str) -> None:
    code, lines = _cli(str(film), "--out", out)
    assert code == 2, lines
    assert len(lines) == 2 and lines[0].startswith(f"error: --out {out}: "), lines
    assert match in lines[0] and lines[1].startswith("hint: ")


@pytest.mark.parametrize(("out", "match"), [
    ("/", "is a system folder"),
    ("/etc", "is a system folder"),
    ("/usr/local/share", "is a system folder"),
    ("/dev/shm", "is a system folder"),
    ("/dev/null", "is a device, not a folder"),
])
def test_system_folders_and_devices_are_refused(tmp_path: Path, out: str, match: str) -> None:
    film = _project(tmp_path)
    before = set(os.listdir(out)) if os.path.isdir(out) else None
    _refused(film, out, tmp_path, match)
    _cli_refuses(film, out, match)
    if before is not None:
        assert set(os.listdir(out)) == before


def test_home_folder_itself_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    film = _project(tmp_path / "project")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    _refused(film, home, tmp_path, "is your home folder itself")
    _cli_refuses(film, str(home), "is your home folder itself")
    assert list(home.iterdir()) == []


def test_films_own_folder_with_the_users_report_is_refused(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    film = _project(tmp_path)
    (tmp_path / "report.html").write_text("<p>my own report</p>")
    (tmp_path / "manifest.json").write_text('{"mine": true}')
    monkeypatch.chdir(tmp_path)
    _refused(film, ".", tmp_path, "is the film's own folder")
    _cli_refuses(film, ".", "is the film's own folder")
    _refused(film, tmp_path.parent, tmp_path, "contains the film's folder")
    assert (tmp_path / "report.html").read_text() == "<p>my own report</p>"
    assert json.loads((tmp_path / "manifest.json").read_text()) == {"mine": True}


def test_folder_holding_files_ministudio_did_not_write_is_refused(tmp_path: Path) -> None:
    film = _project(tmp_path / "project")
    out = tmp_path / "deliveries"
    out.mkdir()
    (out / "report.html").write_text("a user's report")
    (out / "notes.txt").write_text("mine")
    _refused(film, out, tmp_path, r"holds files MiniStudio did not write \(notes.txt, report.html\)")
    _cli_refuses(film, str(out), "holds files MiniStudio did not write")
    assert (out / "report.html").read_text() == "a user's report"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "report.html"]


def test_a_file_the_state_folder_and_a_path_below_a_file_are_refused(tmp_path: Path) -> None:
    film = _project(tmp_path / "project")
    a_file = tmp_path / "film.mp4"
    a_file.write_bytes(b"not a folder")
    _refused(film, a_file, tmp_path, "is a file, not a folder")
    _refused(film, a_file / "sub", tmp_path, "is not a folder")
    (film.parent / ".ministudio" / "media").mkdir(parents=True)
    _refused(film, film.parent / ".ministudio" / "media", tmp_path,
             "inside the project's .ministudio state folder")


def _unprivileged(fn: Callable[[], Any]) -> Any:
    """``fn()`` as a user that may not write where the folder's mode says so: in-process when
    not root; as root (who may write anywhere) in a forked child switched to ``nobody``.
    Returns ``fn``'s result, or ``("raised", type name, message)``."""
    def call() -> Any:
        try:
            return fn()
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            return ("raised", type(exc).__name__, str(exc))

    if os.geteuid() != 0:
        return call()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(r)
            os.setgid(65534)
            os.setuid(65534)
            os.write(w, pickle.dumps(call()))
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    return pickle.loads(data)


def test_read_only_folder_is_refused_before_any_provider_call() -> None:
    # a world-traversable folder, so that an unprivileged user can reach it
    root = Path(tempfile.mkdtemp(prefix="ministudio-ro-"))
    try:
        root.chmod(0o755)
        film = _project(root)
        out = root / "read-only"
        out.mkdir(mode=0o555)
        out.chmod(0o555)
        manager, settings, clip, voice = _env(root)

        def engine() -> Any:
            try:
                render(film, out=out, manager=manager, settings=settings)
            except OutputFolderError as exc:
                return ("refused", str(exc), clip.calls, voice.calls)
            return ("rendered", clip.calls)

        result = _unprivileged(engine)
        assert result[0] == "refused", result
        assert "is not writable" in result[1] and result[2:] == (0, 0)
        code, lines = _unprivileged(lambda: _cli(str(film), "--out", str(out)))
        assert code == 2 and len(lines) == 2 and "is not writable" in lines[0], lines
        assert list(out.iterdir()) == []
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_two_renders_into_one_out_folder_the_second_is_refused(tmp_path: Path) -> None:
    film = _project(tmp_path / "a")
    other = _project(tmp_path / "b")
    out = tmp_path / "shared-out"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from ministudio.engine.lock import OutLock
            with OutLock({str(out)!r}):
                print('locked', flush=True); time.sleep(30)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        manager, settings, clip, voice = _env(tmp_path / "b")
        with pytest.raises(RenderLockedError, match="another render is writing into"):
            render(other, out=out, manager=manager, settings=settings)
        assert clip.calls == 0 and voice.calls == 0
    finally:
        holder.kill()
        holder.wait()
    # once the holder is gone, either project renders there; the other one then may too
    manager, settings, clip, _ = _env(tmp_path / "a")
    assert render(film, out=out, manager=manager, settings=settings).status == "done"
    marker = json.loads((out / MARKER).read_text())
    assert {"manifest.json", "report.html", "tiny-test.mp4", "clips"} <= set(marker["files"])
    manager, settings, clip, _ = _env(tmp_path / "b")
    assert render(other, out=out, manager=manager, settings=settings).status == "done"


def test_a_folder_rendered_into_is_reused_until_a_user_file_appears(tmp_path: Path) -> None:
    film = _project(tmp_path / "project")
    out = tmp_path / "out"
    manager, settings, _, _ = _env(tmp_path / "project")
    render(film, out=out, manager=manager, settings=settings)
    render(film, out=out, manager=manager, settings=settings)  # its own files are fine
    (out / "todo.txt").write_text("call the client")
    _refused(film, out, tmp_path, r"did not write \(todo.txt\)")


def test_folder_rendered_into_before_the_marker_existed_is_accepted(tmp_path: Path) -> None:
    film = _project(tmp_path / "project")
    out = tmp_path / "old-out"
    (out / "clips").mkdir(parents=True)
    (out / "manifest.json").write_text(json.dumps({"manifest_version": 1, "shots": []}))
    (out / "report.html").write_text("<html></html>")
    (out / "tiny-test.mp4").write_bytes(b"old film")
    assert check_out_dir(out, project=film.parent) == out.resolve()
    (out / "film.yaml").write_text("a user's file")
    with pytest.raises(OutputFolderError, match=r"did not write \(film.yaml\)"):
        check_out_dir(out, project=film.parent)


def test_dry_run_checks_out_without_creating_it(tmp_path: Path) -> None:
    film = _project(tmp_path / "project")
    manager, settings, _, _ = _env(tmp_path / "project")
    res = render(film, out=tmp_path / "new" / "out", manager=manager, settings=settings,
                 dry_run=True)
    assert res.status == "planned" and not (tmp_path / "new").exists()
    with pytest.raises(OutputFolderError):
        render(film, out="/dev/null", manager=manager, settings=settings, dry_run=True)


# -- leftovers ----------------------------------------------------------------------------


def test_leftovers_of_a_killed_render_are_removed_by_the_next(tmp_path: Path) -> None:
    film = _project(tmp_path)
    out = tmp_path / "out"
    state = tmp_path / ".ministudio"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, str(CHILD), str(film), str(out)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = tmp_path / "journal.jsonl"
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline and not journal.exists():
        time.sleep(0.01)
    assert proc.poll() is None, "the render ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert list(state.glob("work-*")), "a killed render leaves its work folder"
    # what a render killed while publishing leaves: half-written deliverables and media
    for p in (out / ".tiny-test.partial-1a2b3c4d.mp4", out / ".manifest.partial-00ff00ff.json",
              out / "clips" / ".one-a.partial-deadbeef.mp4",
              state / "media" / ".tmp-abc123.mp4", state / ".assembled.partial-0badf00d.json"):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"half")
    (state / "work-old").mkdir()
    (state / "work-old" / "clip-1").mkdir()

    manager, settings, _, _ = _env(tmp_path)
    res = render(film, out=out, manager=manager, settings=settings)
    assert res.status == "done"
    assert not list(state.glob("work-*"))
    leftovers = [p for p in (*out.rglob(".*partial-*"), *state.rglob(".tmp-*"),
                             *state.glob(".*.partial-*"))]
    assert leftovers == []


def test_a_live_render_keeps_its_leftovers_the_lock_tells_who_is_alive(tmp_path: Path) -> None:
    state = tmp_path / ".ministudio"
    out = tmp_path / "out"
    work = state / "work-live"
    partial = out / ".film.partial-12345678.mp4"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from pathlib import Path
            from ministudio.engine.lock import OutLock, ProjectLock
            with ProjectLock({str(state)!r}), OutLock({str(out)!r}):
                Path({str(work)!r}).mkdir()  # a running render's work, made under its locks
                Path({str(partial)!r}).write_bytes(b"being written")
                print('locked', flush=True); time.sleep(30)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        # sweeping happens only under the lock, so a running render is never swept
        with pytest.raises(RenderLockedError):
            ProjectLock(state).acquire()
        with pytest.raises(RenderLockedError):
            OutLock(out).acquire()
        assert work.is_dir() and partial.is_file()
    finally:
        holder.kill()
        holder.wait()
    with ProjectLock(state), OutLock(out):
        assert not work.exists() and not partial.exists()
