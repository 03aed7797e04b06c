"""The identity gate counts only face scores as matches: a look score (no face scorer applied,
e.g. no face found) is never a pass, never lifts a shot's margin, and the scorer sees every
character of the shot (``IdentityRequest.others``) to assign faces jointly."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from chaos import ChaosClipPlugin, CharRef, chained_plans
from ministudio.hookspecs import PLUGIN_API, hookimpl
from ministudio.requests import IdentityRequest, IdentityScore


class KindScorer:
    """Scores by character id: (score, kind); records every request."""

    MINISTUDIO_PLUGIN_API = PLUGIN_API

    def __init__(self, table: dict[str, tuple[float, str]]) -> None:
        self.table = table
        self.calls: list[IdentityRequest] = []

    @hookimpl(tryfirst=True)
    def score_identity(self, request: IdentityRequest, context: object) -> IdentityScore:
        self.calls.append(request)
        s, kind = self.table[request.character or ""]
        return IdentityScore(score=s, p10=s, minimum=s, scorer="kinds", kind=kind,
                             threshold=0.6 if kind == "face" else 0.35,
                             faces_found=0 if kind == "look" else 1,
                             boxes=((10, 10, 50, 50),) if kind == "face" else ())


def _portrait(tmp_path: Path, name: str) -> Path:
    from PIL import Image

    p = tmp_path / name
    Image.new("RGB", (64, 64), (200, 150, 120)).save(p)
    return p


def _cast(tmp_path: Path) -> tuple[CharRef, CharRef]:
    return (CharRef(id="ada", name="Ada", references=(_portrait(tmp_path, "ada.png"),)),
            CharRef(id="bo", name="Bo", references=(_portrait(tmp_path, "bo.png"),)))


def test_a_look_score_is_never_a_match_and_others_are_passed(harness, tmp_path):
    scorer = KindScorer({"ada": (0.8, "face"), "bo": (0.9, "look")})
    fake = ChaosClipPlugin()
    h = harness(fake, scorer)
    ada, bo = _cast(tmp_path)
    _, out = h.run(chained_plans(1, 1, duration_s=0.5, characters=(ada, bo)))
    res = out["s1.k1"].result
    assert res.scores["ada"]["passed"] is True and res.scores["ada"]["boxes"] == [[10, 10, 50, 50]]
    # a look score high above its own threshold is still no identity match
    assert res.scores["bo"]["passed"] is None and res.scores["bo"]["kind"] == "look"
    assert fake.calls == 1 and res.note == ""
    by_char = {r.character: r for r in scorer.calls}
    assert by_char["ada"].others == (("bo", bo.references),)
    assert by_char["bo"].others == (("ada", ada.references),)


def test_gated_look_scores_can_fail_a_shot_but_never_pass_it(harness, tmp_path):
    ada, bo = _cast(tmp_path)
    # face below threshold, look above its own: the look must not lift the margin, so the
    # gate still regenerates (3 attempts) because of ada
    scorer = KindScorer({"ada": (0.5, "face"), "bo": (0.99, "look")})
    fake = ChaosClipPlugin()
    h = harness(fake, scorer, overrides=("identity.gate_on_look=true",))
    _, out = h.run(chained_plans(1, 1, duration_s=0.5, characters=(ada, bo)))
    res = out["s1.k1"].result
    assert fake.calls == 3 and "ada 0.50<0.60" in res.note and "bo" not in res.note
    assert res.scores["bo"]["passed"] is None


def test_a_gated_look_score_below_its_threshold_regenerates(harness, tmp_path):
    ada, _ = _cast(tmp_path)
    scorer = KindScorer({"ada": (0.1, "look")})
    fake = ChaosClipPlugin()
    h = harness(fake, scorer, overrides=("identity.gate_on_look=true",))
    _, out = h.run(chained_plans(1, 1, duration_s=0.5, characters=(ada,)))
    assert fake.calls == 3 and out["s1.k1"].result.scores["ada"]["passed"] is None


def test_an_ungated_look_score_neither_regenerates_nor_passes(harness, tmp_path):
    ada, _ = _cast(tmp_path)
    fake = ChaosClipPlugin()
    h = harness(fake, KindScorer({"ada": (0.1, "look")}))
    _, out = h.run(chained_plans(1, 1, duration_s=0.5, characters=(ada,)))
    res = out["s1.k1"].result
    assert fake.calls == 1 and res.scores["ada"]["passed"] is None and res.note == ""


def test_a_retry_adds_the_portraits_of_failing_face_scores_only(harness, tmp_path):
    """With ``identity.gate_on_look`` a look score gates the shot, but it is no verdict on the
    character (``passed`` None): a retry strengthens only the character whose face score
    failed, never one that has only a look score."""
    ada, bo = _cast(tmp_path)
    fake = ChaosClipPlugin()
    h = harness(fake, KindScorer({"ada": (0.5, "face"), "bo": (0.1, "look")}),
                overrides=("identity.gate_on_look=true",))
    _, out = h.run(chained_plans(1, 1, duration_s=0.5, characters=(ada, bo)))
    assert fake.calls == 3 and out["s1.k1"].result.scores["bo"]["passed"] is None
    first, *retries = fake.requests
    assert first.reference_images == ()
    for req in retries:
        assert [(r.label, r.path) for r in req.reference_images] == [("ada", ada.references[0])]


def test_the_gate_regenerates_only_within_the_budget(harness, tmp_path):
    """A face score below threshold sends the shot back while the budget allows another
    attempt (0.05 each here), then the best attempt is kept rather than overspending."""
    ada, _ = _cast(tmp_path)
    fake = ChaosClipPlugin()
    h = harness(fake, KindScorer({"ada": (0.5, "face")}))
    prod, out = h.run(chained_plans(1, 1, duration_s=0.5, characters=(ada,)), max_cost="0.12")
    res = out["s1.k1"].result
    assert fake.calls == 2 and res.variants == 2
    assert res.scores["ada"]["passed"] is False and "ada 0.50<0.60" in res.note
    assert prod.budget.spent <= Decimal("0.12")
