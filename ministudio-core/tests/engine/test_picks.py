"""Picking a take: a render uses the picked take's stored bytes with no provider call; a shot
that changed ignores a stale pick; ``--force`` clears it; the shot continuing from a shot
whose take changed starts from the new take's last frame, so it is generated again."""

from __future__ import annotations

import hashlib
from typing import Any

import attrs
import pytest
from chaos import ChaosClipPlugin, chained_plans
from ministudio.capabilities import frame_size
from ministudio.requests import ClipResult
from ministudio.testing.fakes import write_color_clip


class RetakePlugin(ChaosClipPlugin):
    """Every call makes a different clip (another colour), as a real model does when the
    same request is made again."""

    async def _write(self, request: Any, context: Any, job: str) -> ClipResult:
        import asyncio

        digest = hashlib.sha256(f"{request.prompt}|{self.calls}".encode()).digest()
        w, h = frame_size(request.aspect_ratio, request.resolution)
        w, h = w // 4 * 2, h // 4 * 2
        path = context.workdir / f"retake-{self.calls}.mp4"
        await asyncio.to_thread(write_color_clip, path, duration_s=request.duration_s, width=w,
                                height=h, fps=request.fps, color=(digest[0], digest[1], digest[2]))
        return ClipResult(path=path, provider=self.name, model=request.model,
                          duration_s=request.duration_s, width=w, height=h, fps=request.fps,
                          seed=request.seed, job_id=job)


def test_a_picked_take_is_used_without_a_provider_call_and_the_chain_follows(harness):
    fake = RetakePlugin()
    h = harness(fake)
    chain = chained_plans(1, 2, duration_s=0.5)  # s1.k1, then s1.k2 continuing from it
    first = chain[:1]
    _, one = h.run(first)
    take_a = one["s1.k1"].result
    _, two = h.run(first, force=frozenset({"s1.k1"}))
    take_b = two["s1.k1"].result
    assert take_a.clip.read_bytes() != take_b.clip.read_bytes()
    # the ledger lists both takes, newest first, each with the shot's request key
    takes = h.ledger.takes("s1.k1")
    assert [t.media for t in takes] == [take_b.clip_media, take_a.clip_media]
    assert takes[0].shot_key == takes[1].shot_key == take_b.cache_key
    # the chain as it stands: s1.k2 is made from take B's last frame
    _, three = h.run(chain)
    assert three["s1.k1"].result.clip_media == take_b.clip_media
    assert not three["s1.k1"].result.picked
    calls = fake.calls

    pick = h.ledger.pick_take("s1.k1", takes[1].attempt)
    assert pick.media == take_a.clip_media and h.ledger.picks() == {"s1.k1": pick}
    events: list[dict[str, Any]] = []
    prod, four = h.run(chain, events=events)
    k1, k2 = four["s1.k1"].result, four["s1.k2"].result
    # the film's first shot is take A's bytes, from the store: nothing generated for it
    assert k1.clip.read_bytes() == take_a.clip.read_bytes()
    assert k1.picked and k1.cached and k1.take == takes[1].attempt and k1.cost == 0
    assert {"event": "pick", "shot": "s1.k1", "state": "used",
            "attempt": takes[1].attempt} in events
    assert h.ledger.cache_get("take:" + take_a.clip_media) is not None
    # the continued shot starts from take A's last frame: a new request, generated again
    assert fake.calls == calls + 1 and prod.provider_calls == 1
    assert fake.requests[-1].shot_id == "s1.k2"
    assert fake.requests[-1].first_frame.read_bytes() == k1.anchor.read_bytes()
    assert not k2.cached and k2.cache_key != three["s1.k2"].result.cache_key
    # rendered again: everything cached, the pick still used
    prod5, five = h.run(chain)
    assert prod5.provider_calls == 0 and five["s1.k1"].result.picked
    assert five["s1.k1"].result.clip_media == take_a.clip_media


def test_a_changed_shot_ignores_a_stale_pick_and_force_clears_it(harness):
    fake = RetakePlugin()
    h = harness(fake)
    plans = chained_plans(1, 1, duration_s=0.5)
    h.run(plans)
    h.run(plans, force=frozenset({"s1.k1"}))
    old = h.ledger.takes("s1.k1")[-1]
    h.ledger.pick_take("s1.k1", old.attempt)
    with pytest.raises(KeyError):
        h.ledger.pick_take("s1.k2", old.attempt)  # not a take of that shot
    # the shot changed (another prompt, so another request key): the pick does not apply
    edited = [attrs.evolve(plans[0], request=attrs.evolve(plans[0].request, prompt="new"))]
    events: list[dict[str, Any]] = []
    prod, out = h.run(edited, events=events)
    got = out["s1.k1"].result
    assert prod.provider_calls == 1 and not got.picked and got.clip_media != old.media
    [ignored] = [e for e in events if e["event"] == "pick"]
    assert ignored["state"] == "ignored" and "changed" in ignored["reason"]
    assert h.ledger.pick("s1.k1") is not None  # kept: changing the shot back applies it
    prod, out = h.run(plans)
    assert prod.provider_calls == 0 and out["s1.k1"].result.clip_media == old.media
    # --force makes the shot again and forgets the pick
    prod, out = h.run(plans, force=frozenset({"s1.k1"}))
    assert prod.provider_calls == 1 and h.ledger.pick("s1.k1") is None
    assert not out["s1.k1"].result.picked
    assert h.ledger.clear_pick("s1.k1") is False


def test_a_pick_whose_clip_left_the_store_is_ignored(harness):
    fake = RetakePlugin()
    h = harness(fake)
    plans = chained_plans(1, 1, duration_s=0.5)
    h.run(plans)
    h.run(plans, force=frozenset({"s1.k1"}))
    old = h.ledger.takes("s1.k1")[-1]
    h.ledger.pick_take("s1.k1", old.attempt)
    stored = h.store.path(old.media)
    stored.chmod(0o644)
    stored.unlink()
    events: list[dict[str, Any]] = []
    prod, out = h.run(plans, events=events)
    assert prod.provider_calls == 0 and not out["s1.k1"].result.picked  # the kept take
    [ignored] = [e for e in events if e["event"] == "pick"]
    assert ignored["state"] == "ignored" and "store" in ignored["reason"]


def test_a_read_only_ledger_lists_takes_and_an_old_ledger_has_no_picks(tmp_path):
    import sqlite3

    from ministudio.engine.ledger import Ledger

    path = tmp_path / "ledger.sqlite"
    Ledger(path).close()
    with sqlite3.connect(path) as db:  # a ledger from before picks: no table for them
        db.execute("DROP TABLE picks")
    ro = Ledger(path, read_only=True)
    assert ro.picks() == {} and ro.pick("a.b") is None and ro.takes("a.b") == []
    with pytest.raises(sqlite3.OperationalError):  # nothing is written through it
        ro.clear_pick("a.b")
    ro.close()
    rw = Ledger(path)  # opened for writing: the schema is brought up to date
    assert rw.picks() == {}
    rw.close()


def test_a_pick_holds_when_only_the_duration_moved_a_little(harness):
    """An `auto` shot fits its narration, which `--force` speaks again: the shot's duration
    moves by a few hundredths of a second, and the take the user picked still applies."""
    fake = RetakePlugin()
    h = harness(fake)
    plans = chained_plans(1, 1, duration_s=2.0)
    h.run(plans)
    h.run(plans, force=frozenset({"s1.k1"}))
    old = h.ledger.takes("s1.k1")[-1]
    assert old.duration_s == 2.0 and old.loose_key
    h.ledger.pick_take("s1.k1", old.attempt)

    def lasting(seconds: float) -> list[Any]:
        return [attrs.evolve(plans[0], request=attrs.evolve(plans[0].request,
                                                            duration_s=seconds))]

    events: list[dict[str, Any]] = []
    prod, out = h.run(lasting(2.3), events=events)
    assert out["s1.k1"].ok, out["s1.k1"].error
    assert prod.provider_calls == 0 and out["s1.k1"].result.clip_media == old.media
    [used] = [e for e in events if e["event"] == "pick"]
    assert used["state"] == "used" and used["duration_s"] == {"take": 2.0, "shot": 2.3}
    events.clear()
    prod, out = h.run(lasting(3.0), events=events)  # beyond the tolerance: a changed shot
    assert prod.provider_calls == 1 and not out["s1.k1"].result.picked
    assert [e["state"] for e in events if e["event"] == "pick"] == ["ignored"]
