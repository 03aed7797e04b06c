"""The production engine on stand-in shot plans: scheduling, cache, retries, failures,
identity gate and budget, with a fake provider that injects latency and failures."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from chaos import ChaosClipPlugin, CharRef, ScriptedScorer, chained_plans

from ministudio.engine.errors import BudgetExceededError, ShotError
from ministudio.engine.scheduler import BlockedError
from ministudio.media import validate_clip


def _portrait(tmp_path: Path, name: str = "ada.png") -> Path:
    from PIL import Image

    p = tmp_path / name
    Image.new("RGB", (64, 64), (200, 150, 120)).save(p)
    return p


def test_two_chains_run_concurrently_and_wait_for_anchor(harness):
    fake = ChaosClipPlugin(latency_s=0.25)
    h = harness(fake)
    plans = chained_plans(2, 3, duration_s=0.5)
    prod, out = h.run(plans, concurrency=4)
    assert all(o.ok for o in out.values()), {k: o.error for k, o in out.items()}
    # the chains overlap (two calls at once), and a continued shot waits for its anchor (never
    # more than one call per chain)
    assert fake.max_in_flight == 2
    # the continued shot starts from its predecessor's anchor frame
    by_shot = {r.shot_id: r for r in fake.requests}
    assert by_shot["s1.k1"].first_frame is None
    assert by_shot["s1.k2"].first_frame.read_bytes() == out["s1.k1"].result.anchor.read_bytes()
    assert out["s1.k2"].result.request.first_frame == out["s1.k1"].result.anchor
    for o in out.values():
        validate_clip(o.result.clip, expected_duration_s=0.5)


def test_concurrency_and_model_limits_bound_calls(harness):
    from chaos import chaos_model

    fake = ChaosClipPlugin(latency_s=0.1, model=chaos_model(max_concurrency=2))
    h = harness(fake)
    plans = chained_plans(6, 1, duration_s=0.5)
    _, out = h.run(plans, concurrency=8)
    assert all(o.ok for o in out.values())
    assert fake.max_in_flight == 2
    fake2 = ChaosClipPlugin("chaos", latency_s=0.1)
    h2 = harness(fake2)
    h2.state = h.state.parent / "other"
    _, out = h2.run(chained_plans(6, 1, duration_s=0.5, prompt="other"), concurrency=3)
    assert fake2.max_in_flight <= 3


def test_rerun_makes_no_provider_call_and_edit_regenerates_dependants(harness):
    fake = ChaosClipPlugin()
    h = harness(fake)
    plans = chained_plans(1, 3, duration_s=0.5)
    prod, first = h.run(plans)
    assert fake.calls == 3
    prod2, again = h.run(plans)
    assert fake.calls == 3 and prod2.provider_calls == 0
    assert all(o.result.cached for o in again.values())
    assert [again[p.id].result.clip_media for p in plans] == [
        first[p.id].result.clip_media for p in plans]
    # edit the middle shot: it and the shot continuing from it are regenerated, not shot 1
    edited = list(plans)
    edited[1] = attrs.evolve(plans[1], request=attrs.evolve(plans[1].request, prompt="new"))
    prod3, third = h.run(edited)
    assert fake.calls == 5
    assert third["s1.k1"].result.cached
    assert not third["s1.k2"].result.cached and not third["s1.k3"].result.cached
    # force one shot
    prod4, fourth = h.run(edited, force=frozenset({"s1.k1"}))
    assert not fourth["s1.k1"].result.cached


def test_transient_failures_are_retried_and_every_attempt_recorded(harness):
    fake = ChaosClipPlugin(transient=0.3, seed=3)
    h = harness(fake)
    plans = chained_plans(2, 4, duration_s=0.5)
    prod, out = h.run(plans)
    failed = [k for k, o in out.items() if not o.ok]
    attempts = h.ledger.attempts(prod.production_id)
    gen = [a for a in attempts if a["stage"] == "generate"]
    assert len(gen) == fake.calls == prod.provider_calls
    assert any(a["status"] == "failed" and a["error_type"] == "ProviderUnavailableError"
               for a in gen)
    # a shot either completed or failed loudly after a bounded number of tries
    for k, o in out.items():
        tries = [a for a in gen if a["shot_id"] == k]
        assert len(tries) <= 4
        if not o.ok:
            assert isinstance(o.error, (ShotError, BlockedError))
    ok = [o for o in out.values() if o.ok]
    assert len(ok) + len(failed) == 8 and ok


@pytest.mark.parametrize("kind", ["permanent", "reject"])
def test_permanent_failure_names_shot_provider_stage_and_blocks_dependants(harness, kind):
    fake = ChaosClipPlugin(**{kind: ["s1.k2"]})
    h = harness(fake)
    prod, out = h.run(chained_plans(2, 3, duration_s=0.5))
    err = out["s1.k2"].error
    assert isinstance(err, ShotError)
    assert err.failure.shot == "s1.k2" and err.failure.provider == "chaos"
    assert err.failure.stage == "generate"
    assert ("failed" if kind == "permanent" else "safety") in err.failure.reason
    assert isinstance(out["s1.k3"].error, BlockedError)
    assert all(out[f"s2.k{i}"].ok for i in (1, 2, 3))  # the other chain still finished
    tries = [a for a in h.ledger.attempts(prod.production_id) if a["shot_id"] == "s1.k2"]
    assert len(tries) == 1  # not retryable: tried once
    if kind == "permanent":  # the job existed, so it is counted as paid
        assert Decimal(tries[0]["cost"]) > 0


def test_corrupt_output_is_rejected_and_regenerated(harness):
    fake = ChaosClipPlugin(corrupt=["s1.k1"], corrupt_times=1)
    h = harness(fake)
    prod, out = h.run(chained_plans(1, 2, duration_s=0.5))
    assert out["s1.k1"].ok
    tries = [a for a in h.ledger.attempts(prod.production_id) if a["shot_id"] == "s1.k1"]
    assert [a["status"] for a in tries] == ["invalid", "ok"]
    assert tries[0]["error_type"] == "MediaError"
    validate_clip(out["s1.k1"].result.clip, expected_duration_s=0.5)


def test_corrupt_output_every_time_fails_and_is_never_stored(harness):
    fake = ChaosClipPlugin(corrupt=["s1.k1"], corrupt_times=99)
    h = harness(fake)
    prod, out = h.run(chained_plans(1, 1, duration_s=0.5))
    err = out["s1.k1"].error
    assert isinstance(err, ShotError) and err.failure.stage == "validate"
    # bounded retries: a try re-fetches the paid job once; after 2 unusable deliveries the job
    # counts as failed and one new job is submitted
    assert fake.calls + fake.resumed == 4
    assert fake.calls == 2
    assert not list((h.state / "media").rglob("*.mp4"))


def test_identity_gate_regenerates_with_new_seed_and_keeps_best(harness, tmp_path):
    ref = _portrait(tmp_path)
    seeds_seen = []

    def score(req):
        seeds_seen.append(req)
        # the first two attempts score low, the third passes
        return [0.3, 0.5, 0.8][min(len(seeds_seen) - 1, 2)]

    scorer = ScriptedScorer(score, threshold=0.6)
    fake = ChaosClipPlugin()
    h = harness(fake, scorer)
    ada = CharRef(id="ada", name="Ada", references=(ref,))
    plans = chained_plans(1, 1, duration_s=0.5, characters=(ada,))
    prod, out = h.run(plans)
    res = out["s1.k1"].result
    assert fake.calls == 3
    assert len({r.seed for r in fake.requests}) == 3
    assert res.scores["ada"]["score"] == 0.8 and res.scores["ada"]["passed"]
    assert res.variants == 3
    gen = [a for a in h.ledger.attempts(prod.production_id) if a["stage"] == "generate"]
    assert [a["scores"]["ada"]["score"] for a in gen] == [0.3, 0.5, 0.8]
    # rerun: cached, no calls, no scoring
    n = len(scorer.calls)
    prod2, again = h.run(plans)
    assert fake.calls == 3 and len(scorer.calls) == n and again["s1.k1"].result.cached


def test_identity_gate_keeps_best_when_none_pass_and_honours_character_threshold(harness, tmp_path):
    ref = _portrait(tmp_path)
    values = iter([0.4, 0.55, 0.45])
    scorer = ScriptedScorer(lambda r: next(values), threshold=0.9)
    fake = ChaosClipPlugin()
    h = harness(fake, scorer)
    ada = CharRef(id="ada", name="Ada", references=(ref,), identity_threshold=0.7)
    prod, out = h.run(chained_plans(1, 1, duration_s=0.5, characters=(ada,)))
    res = out["s1.k1"].result
    assert fake.calls == 3
    assert res.scores["ada"]["score"] == 0.55 and res.scores["ada"]["threshold"] == 0.7
    assert "below threshold" in res.note


def test_budget_stops_before_exceeding(harness):
    fake = ChaosClipPlugin(latency_s=0.05)
    h = harness(fake)
    # 0.10/s * 1 s = 0.10 per shot; 0.25 allows two shots, never a third
    prod, out = h.run(chained_plans(4, 1, duration_s=1.0), max_cost="0.25", concurrency=1)
    ok = [k for k, o in out.items() if o.ok]
    assert len(ok) == 2
    assert prod.budget.spent == Decimal("0.20") <= Decimal("0.25")
    errs = [o.error for o in out.values() if not o.ok]
    assert all(isinstance(e, ShotError) and e.failure.error_type == "BudgetExceededError"
               for e in errs)
    assert isinstance(prod.stopping, BudgetExceededError)
    assert fake.calls == 2
