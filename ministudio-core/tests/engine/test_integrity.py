"""Damaged media never reaches a film: a stored clip damaged mid-file, a delivered clip edited
in place, and a provider that serves a clip damaged mid-file (right size, valid header).

In each case the film is never assembled from bad media, a rerun recovers without ``--force``,
and every hash in ``manifest.json`` matches the delivered file."""

from __future__ import annotations

import hashlib
import json
import os
import random
from pathlib import Path

import pytest
from chaos import ChaosClipPlugin, FakeSpeechPlugin
from ministudio.config import load_settings
from ministudio.engine import RenderFailedError, render
from ministudio.engine.ledger import Ledger
from ministudio.engine.store import MediaStore
from ministudio.errors import MediaError
from ministudio.hookspecs import PLUGIN_API, hookimpl
from ministudio.media import validate_clip
from ministudio.plugins import PluginManager
from test_render import _project


def damage_middle(path: Path, seed: int = 0) -> None:
    """Overwrite the middle video packet of ``path`` with random bytes, in place: same size,
    same headers, same mtime (as a disk or a careless editor would)."""
    import av

    with av.open(str(path)) as c:
        packets = [(p.pos, p.size) for p in c.demux(c.streams.video[0]) if p.size]
    pos, size = packets[len(packets) // 2]
    st = path.stat()
    os.chmod(path, 0o644)
    rnd = random.Random(seed)
    with open(path, "r+b") as fh:
        fh.seek(pos)
        fh.write(bytes(rnd.getrandbits(8) for _ in range(size)))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size


class DamagingClips(ChaosClipPlugin):
    """Serves, for the shots in ``damage``, clips damaged mid-file (``times`` calls each).
    With ``vary`` every call returns different bytes (as a real provider would)."""

    def __init__(self, *, damage: dict[str, int] | None = None, vary: bool = False) -> None:
        super().__init__()
        self.damage = dict(damage or {})
        self.vary = vary

    async def _write(self, request, context, job):  # type: ignore[no-untyped-def]
        import attrs

        if self.vary:
            request = attrs.evolve(request, prompt=f"{request.prompt} take {self.calls}")
        result = await super()._write(request, context, job)
        if self.damage.get(request.shot_id, 0) > 0:
            self.damage[request.shot_id] -= 1
            damage_middle(result.path, seed=self.calls)
        return result


def _env(tmp_path: Path, clip: ChaosClipPlugin, *extra) -> tuple[PluginManager, object]:
    manager = PluginManager(load_entrypoints=False, env={})
    manager.register(clip, "chaos")
    manager.register(FakeSpeechPlugin(), "fakevoice")
    for i, p in enumerate(extra):
        manager.register(p, f"extra{i}")
    settings = load_settings(project_dir=tmp_path, env={}, user_config=tmp_path / "none.toml",
                             overrides=("render.attempts=3", "identity.threshold=0.0"))
    return manager, settings


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_delivered_matches_manifest(out: Path) -> dict:
    """Every clip the manifest lists is there, decodes in full, and has the manifest's hash;
    the film decodes in full."""
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "done"
    for shot in manifest["shots"]:
        clip = out / shot["clip"]
        assert _sha(clip) == shot["clip_sha256"], shot["id"]
        validate_clip(clip)
        assert clip.stat().st_nlink == 1  # a file of its own, not a link into the store
    validate_clip(out / manifest["files"]["film"])
    return manifest


def _store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / ".ministudio" / "media")


def _every_stored_clip_is_intact(tmp_path: Path) -> None:
    store = _store(tmp_path)
    for p in store.root.rglob("*.mp4"):
        name = str(p.relative_to(store.root))
        assert store.verify(name), name
        validate_clip(p)


def test_stored_clip_damaged_mid_file_is_regenerated_on_rerun(tmp_path: Path) -> None:
    film = _project(tmp_path)
    clip = DamagingClips()
    manager, settings = _env(tmp_path, clip)
    out = tmp_path / "out"
    first = render(film, out=out, manager=manager, settings=settings)
    assert clip.calls == 3
    target = next(s for s in first.shots if s.id == "two.c").outcome
    stored = _store(tmp_path).path(target.clip_media)
    damage_middle(stored)
    assert not _store(tmp_path).verify(target.clip_media)

    again = render(film, out=out, manager=manager, settings=settings)  # no --force
    assert again.status == "done"
    assert clip.calls == 4  # only the damaged shot was paid for again
    assert {s.id: s.status for s in again.shots} == {"one.a": "cached", "one.b": "cached",
                                                     "two.c": "done"}
    assert _store(tmp_path).verify(target.clip_media)  # repaired, not skipped by its size
    manifest = assert_delivered_matches_manifest(out)
    assert {s["id"]: s["clip_sha256"] for s in manifest["shots"]}["two.c"] == _sha(stored)
    _every_stored_clip_is_intact(tmp_path)


def test_editing_a_delivered_clip_in_place_cannot_touch_the_store(tmp_path: Path) -> None:
    film = _project(tmp_path)
    clip = DamagingClips()
    manager, settings = _env(tmp_path, clip)
    out = tmp_path / "out"
    first = render(film, out=out, manager=manager, settings=settings)
    shot = next(s for s in first.shots if s.id == "one.a").outcome
    stored = _store(tmp_path).path(shot.clip_media)
    delivered = out / "clips" / "one-a.mp4"
    assert delivered.stat().st_ino != stored.stat().st_ino
    assert not stored.stat().st_mode & 0o222  # store files are read-only
    before = stored.read_bytes()

    damage_middle(delivered)  # the user's editor writes into the delivered clip
    assert stored.read_bytes() == before and _store(tmp_path).verify(shot.clip_media)

    # the reproduction: --force pays for the shot again; the film must be sound
    forced = render(film, out=out, manager=manager, settings=settings, force=["one.a"])
    assert forced.status == "done" and clip.calls == 4
    assert delivered.read_bytes() == before
    assert_delivered_matches_manifest(out)

    damage_middle(delivered)
    rerun = render(film, out=out, manager=manager, settings=settings)
    assert rerun.provider_calls == 0 and clip.calls == 4
    assert delivered.read_bytes() == before  # delivered again from the intact store
    assert_delivered_matches_manifest(out)


def test_provider_serving_a_clip_damaged_mid_file_is_refused_and_retried(tmp_path: Path) -> None:
    film = _project(tmp_path)
    clip = DamagingClips(damage={"two.c": 1})
    manager, settings = _env(tmp_path, clip)
    out = tmp_path / "out"
    res = render(film, out=out, manager=manager, settings=settings)
    # the retry may submit again or fetch the same job's result again
    assert res.status == "done" and clip.calls + clip.resumed == 4
    tries = [a for a in res.attempts if a["shot_id"] == "two.c" and a["stage"] == "generate"]
    assert [a["status"] for a in tries] == ["invalid", "ok"]
    assert tries[0]["error_type"] == "MediaError" and "corrupt video" in tries[0]["error"]
    assert_delivered_matches_manifest(out)
    _every_stored_clip_is_intact(tmp_path)


def test_provider_always_serving_damaged_clips_fails_then_rerun_recovers(tmp_path: Path) -> None:
    film = _project(tmp_path)
    clip = DamagingClips(damage={"two.c": 99})
    manager, settings = _env(tmp_path, clip)
    out = tmp_path / "out"
    with pytest.raises(RenderFailedError) as ei:
        render(film, out=out, manager=manager, settings=settings)
    failure = ei.value.failures[0]
    assert (failure.shot, failure.stage, failure.error_type) == ("two.c", "validate", "MediaError")
    assert not (out / "tiny-test.mp4").exists()  # never assembled from bad media
    _every_stored_clip_is_intact(tmp_path)  # the damaged clips were never stored

    clip.damage.clear()  # the provider recovers
    res = render(film, out=out, manager=manager, settings=settings)
    assert res.status == "done"
    assert_delivered_matches_manifest(out)


class AnchorFailsOn:
    """An anchor-frame hook that fails for clips whose content is in ``bad`` and otherwise
    leaves the work to core's default (first result)."""

    MINISTUDIO_PLUGIN_API = PLUGIN_API

    def __init__(self) -> None:
        self.bad: set[str] = set()
        self.calls = 0

    @hookimpl(tryfirst=True)
    def extract_anchor_frame(self, request, context):  # type: ignore[no-untyped-def]
        self.calls += 1
        if _sha(Path(request.clip)) in self.bad:
            raise MediaError(f"{request.clip}: no frame decodes near the end")
        return None


def test_cached_clip_failing_a_later_stage_is_evicted_and_regenerated(tmp_path: Path) -> None:
    """A clip that was validated, stored and cached, but fails the anchor-frame stage, is
    evicted from the cache and generated again within the same render's retry budget; the
    rerun then makes no provider call."""
    film = _project(tmp_path)
    clip = DamagingClips(vary=True)
    anchor = AnchorFailsOn()
    manager, settings = _env(tmp_path, clip, anchor)

    first_take: dict[str, str] = {}

    async def mark_first_take(request, context, job, _write=clip._write):  # type: ignore[no-untyped-def]
        result = await _write(request, context, job)
        if request.shot_id == "one.a" and "one.a" not in first_take:
            first_take["one.a"] = _sha(result.path)
            anchor.bad.add(first_take["one.a"])
        return result

    clip._write = mark_first_take  # type: ignore[method-assign]
    out = tmp_path / "out"
    res = render(film, out=out, manager=manager, settings=settings)
    assert res.status == "done"
    assert clip.calls == 4  # one.a twice, one.b and two.c once
    a = next(s for s in res.shots if s.id == "one.a").outcome
    assert _sha(a.clip) != first_take["one.a"]
    ledger = Ledger(tmp_path / ".ministudio" / "ledger.sqlite")
    try:
        assert ledger.cache_get(a.cache_key)["media"] == a.clip_media
    finally:
        ledger.close()
    assert_delivered_matches_manifest(out)
    again = render(film, out=out, manager=manager, settings=settings)
    assert again.provider_calls == 0
