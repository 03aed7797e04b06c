"""A take the user picked for a shot (``ministudio takes FILM SHOT --pick N``), used by a render
instead of the take the engine kept.

A pick names a delivered take (a ``generate`` attempt in the ledger) and records the shot's
request key of the render that made it. A render uses the picked take as a cached result (no
provider call, nothing spent) while

- the shot's request key is still that key: same provider, model, prompt, duration, seed,
  references and start frame, or only the duration differs, by at most
  ``render.pick_duration_tolerance_s`` (default 0.5 s: an ``auto`` shot fits its narration,
  which ``--force`` speaks again; the ``pick`` event then carries both durations). A shot
  that changed otherwise (or whose predecessor's take changed, so it starts from another
  frame) ignores the pick, with a ``pick`` event (``state: ignored``) and a warning: a take
  is never used for a shot it was not made for. The pick stays recorded (changing the
  shot back makes it apply again) until ``--unpick`` or ``render --force SHOT``;
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

__all__ = ["DURATION_TOLERANCE_S", "continuing", "current_request", "loose_key", "made_for",
           "picked_outcome"]

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
    moved = None
    if pick.cache_key != base_key:
        tolerance = float(prod.settings.get("render.pick_duration_tolerance_s",
                                            DURATION_TOLERANCE_S) or 0)
        if not made_for(pick, base_key, loose_key(request), request.duration_s, tolerance):
            _ignore(prod, shot, pick.attempt, "the shot changed since that take was made (its "
                    "prompt, duration, provider, references or start frame)")
            return None
        # only the duration moved (an `auto` shot whose narration was spoken again)
        moved = {"take": pick.duration_s, "shot": request.duration_s}
        log.warning("pick.duration", shot=shot, attempt=pick.attempt,
                    take_s=pick.duration_s, shot_s=request.duration_s)
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
                         clip=out.clip_media, anchor=out.anchor_media, cost="0", cached=True,
                         loose_key=loose_key(request), duration_s=request.duration_s)
    prod.emit({"event": "pick", "shot": shot, "state": "used", "attempt": pick.attempt,
               **({"duration_s": moved} if moved else {})})
    prod.emit({"event": "shot", "shot": shot, "state": "cached", "picked": True,
               "take": pick.attempt, "scores": _plain_scores(out.scores)})
    return out


#: how far a shot's duration may move with its pick still applying (seconds)
DURATION_TOLERANCE_S = 0.5


def made_for(take: Any, key: str | None, loose: str | None, duration_s: float | None,
             tolerance: float = DURATION_TOLERANCE_S) -> bool:
    """Whether a take (or pick: ``cache_key``/``shot_key``, ``loose_key``, ``duration_s``)
    was made for the shot request with this key, or one differing only in its duration by at
    most ``tolerance`` seconds."""
    made = getattr(take, "cache_key", None) or getattr(take, "shot_key", None)
    if key is not None and made == key:
        return True
    return (take.loose_key is not None and take.loose_key == loose and take.duration_s
            is not None and duration_s is not None
            and abs(take.duration_s - duration_s) <= tolerance + 1e-9)


def current_request(ledger: Any, production_id: int | None, shot_id: str,
                    key: str | None = None) -> tuple[str | None, str | None, float | None]:
    """A shot's request in a render (the manifest's ``production_id``) as ``(key, key
    without duration, duration)`` from the ledger's ``shots`` row; ``key`` (the manifest's)
    alone when the ledger does not have them."""
    row = ledger.shot(production_id, shot_id) if production_id is not None else None
    if row is None:
        return key, None, None
    return row.get("cache_key") or key, row.get("loose_key"), row.get("duration_s")


def loose_key(request: Any) -> str:
    """The request's cache key without its duration."""
    from ministudio.engine.keys import clip_key

    return clip_key(attrs.evolve(request, duration_s=0.0))


def continuing(shots: Any, shot_id: str) -> list[Any]:
    """The shot plans that continue from ``shot_id``, directly or through others, in plan
    order: each starts from the last frame of the one before, so a new take of ``shot_id``
    gives them new start frames (new request keys) and the next render generates them again
    (unless that exact request is cached)."""
    after: set[str] = {shot_id}
    found = []
    for sp in shots:  # a shot continues from an earlier one in the plan
        if sp.continues_from in after:
            after.add(sp.id)
            found.append(sp)
    return found
