"""A continued shot is requested from its predecessor's anchor frame before the predecessor's
clip is validated and stored, and is kept only if the predecessor keeps that clip."""

from __future__ import annotations

from pathlib import Path

from chaos import ChaosClipPlugin, CharRef, ScriptedScorer, chained_plans
from ministudio.engine.scheduler import BlockedError
from ministudio.requests import ClipResult
from ministudio.testing.fakes import write_color_clip
from test_integrity import DamagingClips


class EarlyDamage(ChaosClipPlugin):
    """Clips with a keyframe every second; the first ``times`` clips of ``shot`` are damaged
    in their first second, so their end (what the anchor frame needs) still decodes and only
    the full validation refuses them. Every call returns different bytes."""

    def __init__(self, shot: str, times: int = 1, latency_s: float = 0.0) -> None:
        super().__init__(latency_s=latency_s)
        self.shot, self.times = shot, times

    async def _write(self, request, context, job):  # type: ignore[no-untyped-def]
        import asyncio
        import os
        import random

        import av

        path = context.workdir / f"take-{self.calls}.mp4"
        await asyncio.to_thread(write_color_clip, path, duration_s=request.duration_s,
                                gop=24, color=(20 * self.calls % 255, 90, 160))
        if request.shot_id == self.shot and self.times > 0:
            self.times -= 1
            with av.open(str(path)) as c:
                pos, size = [(p.pos, p.size) for p in c.demux(c.streams.video[0]) if p.size][6]
            os.chmod(path, 0o644)
            with open(path, "r+b") as fh:
                fh.seek(pos)
                fh.write(bytes(random.Random(self.calls).getrandbits(8) for _ in range(size)))
        return ClipResult(path=path, provider=self.name, model=request.model,
                          duration_s=request.duration_s, width=320, height=180, fps=24,
                          seed=request.seed, job_id=job)


def _events(h, plans, **kw):  # type: ignore[no-untyped-def]
    events: list[dict] = []
    prod, out = h.run(plans, events=events, **kw)
    return prod, out, events


def _index(events: list[dict], shot: str, **match: str) -> int:
    return next(i for i, e in enumerate(events) if e.get("shot") == shot
                and all(e.get(k) == v for k, v in match.items()))


def test_continued_shot_is_requested_before_its_predecessor_is_validated(harness) -> None:
    h = harness(ChaosClipPlugin(latency_s=0.2))
    _, out, events = _events(h, chained_plans(1, 3, duration_s=2.0))
    assert all(o.ok for o in out.values()), {k: o.error for k, o in out.items()}
    # the next request went out before the predecessor's clip was validated and stored
    # ("attempt ok" comes after validation and the store put) ...
    assert _index(events, "s1.k2", state="generating") < _index(events, "s1.k1", status="ok")
    # ... but it is done only after its predecessor is
    assert _index(events, "s1.k1", state="done") < _index(events, "s1.k2", state="done")
    for a, b in (("s1.k1", "s1.k2"), ("s1.k2", "s1.k3")):
        assert out[b].result.request.first_frame == out[a].result.anchor
        assert h.ledger.cache_get("shot:" + out[b].result.cache_key) is not None


def test_setting_off_waits_for_the_predecessor(harness) -> None:
    h = harness(ChaosClipPlugin(latency_s=0.05), overrides=("render.early_chain=false",))
    _, out, events = _events(h, chained_plans(1, 2, duration_s=1.0))
    assert all(o.ok for o in out.values())
    assert _index(events, "s1.k1", state="done") < _index(events, "s1.k2", state="generating")


def test_predecessor_clip_rejected_after_its_anchor_restarts_the_continued_shot(harness) -> None:
    clip = EarlyDamage("s1.k1")
    h = harness(clip)
    _, out, events = _events(h, chained_plans(1, 2, duration_s=3.0))
    assert all(o.ok for o in out.values()), {k: o.error for k, o in out.items()}
    tries = [e for e in events if e.get("shot") == "s1.k1" and e.get("event") == "attempt"]
    assert [e["status"] for e in tries] == ["invalid", "ok"]
    k2 = [r for r in clip.requests if r.shot_id == "s1.k2"]
    kept = out["s1.k1"].result.anchor
    # the continued shot kept is the one made from the anchor frame its predecessor kept
    assert k2[-1].first_frame.read_bytes() == kept.read_bytes()
    assert out["s1.k2"].result.request.first_frame == kept
    # it had been requested from the rejected clip's anchor, then again from the kept one
    assert len(k2) == 2 and k2[0].first_frame.read_bytes() != kept.read_bytes()
    assert sum(e.get("shot") == "s1.k2" and e.get("state") == "done" for e in events) == 1


def test_failed_predecessor_blocks_the_continued_shot(harness) -> None:
    for clip in (DamagingClips(damage={"s1.k1": 99}),  # its end never decodes: no early start
                 EarlyDamage("s1.k1", times=99, latency_s=0.3)):  # started early, cancelled
        h = harness(clip)
        _, out, events = _events(h, chained_plans(1, 2, duration_s=3.0, prompt=type(clip).__name__))
        assert not out["s1.k1"].ok
        assert isinstance(out["s1.k2"].error, BlockedError)
        assert not any(e.get("shot") == "s1.k2" and e.get("state") == "done" for e in events)
        started = [r for r in clip.requests if r.shot_id == "s1.k2"]
        assert len(started) == (1 if isinstance(clip, EarlyDamage) else 0)


def test_identity_gate_that_can_replace_the_take_makes_the_next_shot_wait(harness, tmp_path: Path
                                                                           ) -> None:
    from PIL import Image

    ref = tmp_path / "ada.png"
    Image.new("RGB", (64, 64), (200, 150, 120)).save(ref)
    scorer = ScriptedScorer(lambda r: 0.9)
    h = harness(ChaosClipPlugin(latency_s=0.05), scorer)
    plans = chained_plans(1, 2, duration_s=1.0,
                          characters=(CharRef(id="ada", name="Ada", references=(ref,)),))
    _, out, events = _events(h, plans)
    assert all(o.ok for o in out.values())
    assert _index(events, "s1.k1", state="done") < _index(events, "s1.k2", state="generating")


def test_concurrency_bounds_media_work_in_worker_threads(harness, tmp_path: Path) -> None:
    import threading
    import time

    from PIL import Image

    ref = tmp_path / "ada.png"
    Image.new("RGB", (64, 64), (200, 150, 120)).save(ref)
    busy = {"now": 0, "max": 0}
    lock = threading.Lock()

    def slow(_request) -> float:  # type: ignore[no-untyped-def]
        with lock:
            busy["now"] += 1
            busy["max"] = max(busy["max"], busy["now"])
        time.sleep(0.15)
        with lock:
            busy["now"] -= 1
        return 0.9

    h = harness(ChaosClipPlugin(), ScriptedScorer(slow))
    plans = chained_plans(6, 1, duration_s=0.5,
                          characters=(CharRef(id="ada", name="Ada", references=(ref,)),))
    _, out = h.run(plans, concurrency=2)
    assert all(o.ok for o in out.values())
    assert busy["max"] == 2  # six shots scored, never more than --concurrency at once
