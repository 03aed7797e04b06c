"""A take the user picked for a shot (``ministudio takes FILM SHOT --pick N``), used by a render
instead of the take the engine kept.

A pick names a delivered take (a ``generate`` attempt in the ledger) and records the shot's
request key of the render that made it. A render uses the picked take as a cached result (no
provider call, nothing spent) while

- the shot's request key is still that key: same provider, model, prompt, duration, seed,
  references and start frame. A shot that changed since (or whose predecessor's kept take
  changed, so it starts from another frame) ignores the pick, with a ``pick`` event
  (``state: ignored``) and a warning: a take is never used for a shot it was not made for.
  The pick stays recorded (changing the shot back makes it apply again) until
  ``--unpick`` or ``render --force SHOT``;
- the take's clip is still stored intact in the project's media store.

The take's format, anchor frame and identity scores come from the cache entry ``take:MEDIA``;
the first render that uses a take measures them (probe, anchor frame, identity scoring: no
provider call) and records that entry.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import attrs

from ministudio.engine.errors import ShotError
from ministudio.log import get_logger

__all__ = ["picked_outcome"]

log = get_logger(__name__)


def _ignore(prod: Any, shot: str, attempt: int, reason: str) -> None:
    log.warning("pick.ignored", shot=shot, attempt=attempt, reason=reason)
    prod.emit({"event": "pick", "shot": shot, "state": "ignored", "attempt": attempt,
               "reason": f"picked take {attempt} ignored: {reason}"})


async def picked_outcome(prod: Any, plan: Any, request: Any, base_key: str) -> Any:
    """The :class:`~ministudio.engine.production.ShotOutcome` of the take picked for
    ``plan`` (recorded in the ledger as a cached shot), or ``None`` when there is no pick or
    it does not apply (then the shot is produced as usual)."""
    from ministudio.engine.production import ShotOutcome, _meta, _plain_scores

    shot = plan.id
    pick = prod.ledger.pick(shot)
    if pick is None:
        return None
    if pick.cache_key != base_key:
        _ignore(prod, shot, pick.attempt, "the shot changed since that take was made (its "
                "prompt, duration, provider, references or start frame)")
        return None
    if not prod.store.has(pick.media):
        _ignore(prod, shot, pick.attempt, "its clip is no longer in the project's store")
        return None
    out = None
    hit = prod.ledger.cache_get("take:" + pick.media)
    if hit is not None:
        out = prod._outcome_from_cache(shot, request, base_key, hit)
    if out is None:
        from ministudio.media import probe

        clip = prod.store.path(pick.media)
        info = await asyncio.to_thread(probe, clip)
        take = prod.ledger.take(pick.attempt)
        measured = ShotOutcome(
            id=shot, request=request, cache_key=base_key, clip=clip, clip_media=pick.media,
            anchor=None, anchor_media=None, duration_s=info.duration_s, width=info.width,
            height=info.height, fps=info.fps, has_audio=info.has_audio,
            seed=take.seed if take is not None else None, cached=True)
        try:
            out = await prod._finish(plan, measured, request.provider)
        except ShotError as exc:
            _ignore(prod, shot, pick.attempt, f"{exc.failure.stage}: {exc.failure.reason}")
            return None
        prod.ledger.cache_put("take:" + pick.media, "take", pick.media, _meta(out),
                              provider=request.provider, model=request.model)
    out = attrs.evolve(out, cached=True, cost=Decimal(0), take=pick.attempt, picked=True,
                       cache_key=base_key)
    prod.ledger.set_shot(prod.production_id, shot, "cached", cache_key=base_key,
                         clip=out.clip_media, anchor=out.anchor_media, cost="0", cached=True)
    prod.emit({"event": "pick", "shot": shot, "state": "used", "attempt": pick.attempt})
    prod.emit({"event": "shot", "shot": shot, "state": "cached", "picked": True,
               "take": pick.attempt, "scores": _plain_scores(out.scores)})
    return out
