"""World state: what every shot sees, walked through the film in order.

- Characters persist; a shot's ``changes`` (wardrobe, props, condition) apply from that shot
  on, for the rest of the scene (a new scene starts from the characters as defined).
- Only the characters present in a shot are in its state (and so in its prompt and references).
- Environment memory: description, fixed elements, palette and lighting persist; a shot's
  ``environment_change`` (lighting, time of day) carries forward; switching environment is a cut
  and resets continuity.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from ministudio.film.model import (
    Character,
    Continuity,
    Environment,
    Film,
    Identity,
    Scene,
    Shot,
    VoiceSpec,
)

__all__ = ["CharacterLook", "EnvironmentLook", "ShotState", "world_states"]


@attrs.frozen(kw_only=True)
class CharacterLook:
    """A character as they look in one shot (definition plus changes so far in the scene)."""

    id: str
    name: str
    description: str = ""
    identity: Identity = Identity()
    wardrobe: str | None = None
    props: tuple[str, ...] = ()
    condition: str | None = None
    references: tuple[Path, ...] = ()
    voice: VoiceSpec | None = None
    identity_threshold: float | None = None

    @classmethod
    def of(cls, cid: str, ch: Character) -> CharacterLook:
        return cls(
            id=cid, name=ch.name, description=ch.description, identity=ch.identity,
            wardrobe=ch.wardrobe, props=ch.props, condition=ch.condition,
            references=ch.references, voice=ch.voice, identity_threshold=ch.identity_threshold,
        )


@attrs.frozen(kw_only=True)
class EnvironmentLook:
    id: str
    description: str
    fixed_elements: tuple[str, ...] = ()
    palette: tuple[str, ...] = ()
    lighting: str | None = None
    time_of_day: str | None = None
    references: tuple[Path, ...] = ()

    @classmethod
    def of(cls, eid: str, env: Environment) -> EnvironmentLook:
        return cls(
            id=eid, description=env.description, fixed_elements=env.fixed_elements,
            palette=env.palette, lighting=env.lighting, time_of_day=env.time_of_day,
            references=env.references,
        )


@attrs.frozen(kw_only=True)
class ShotState:
    """The world as one shot sees it."""

    key: str  #: ``scene.shot``
    scene: Scene
    shot: Shot
    scene_index: int
    shot_index: int
    environment: EnvironmentLook
    #: characters on screen, in the order the shot (or scene) lists them
    present: tuple[CharacterLook, ...]
    #: every character of the film as they look at this point (for speakers off the list)
    cast: dict[str, CharacterLook] = attrs.field(eq=False, repr=False)
    mood: str | None
    #: True when this shot does not continue the previous one
    cut: bool
    #: why it is a cut (or that it continues)
    reason: str
    previous: str | None  #: key of the previous shot in the film

    @property
    def path(self) -> str:
        """Where the shot is in the file: ``scenes[1].shots[2]``."""
        return f"scenes[{self.scene_index}].shots[{self.shot_index}]"


def world_states(film: Film) -> list[ShotState]:
    """One :class:`ShotState` per shot, in film order."""
    out: list[ShotState] = []
    previous: ShotState | None = None
    for si, scene in enumerate(film.scenes):
        cast = {cid: CharacterLook.of(cid, ch) for cid, ch in film.characters.items()}
        env_id = scene.environment
        env = _env(film, env_id)
        for hi, shot in enumerate(scene.shots):
            for cid, change in shot.changes.items():
                if cid in cast:
                    cast[cid] = attrs.evolve(
                        cast[cid],
                        wardrobe=change.wardrobe if change.wardrobe is not None else cast[cid].wardrobe,
                        props=change.props if change.props is not None else cast[cid].props,
                        condition=change.condition
                        if change.condition is not None else cast[cid].condition,
                    )
            if shot.environment is not None and shot.environment != env_id:
                env_id = shot.environment
                env = _env(film, env_id)
            if shot.environment_change is not None:
                ec = shot.environment_change
                env = attrs.evolve(
                    env,
                    lighting=ec.lighting if ec.lighting is not None else env.lighting,
                    time_of_day=ec.time_of_day if ec.time_of_day is not None else env.time_of_day,
                )
            ids = shot.characters if shot.characters is not None else scene.characters
            present = tuple(cast[c] for c in ids if c in cast)
            cut, reason = _cut(shot, hi, previous, env_id)
            state = ShotState(
                key=f"{scene.id}.{shot.id}", scene=scene, shot=shot, scene_index=si,
                shot_index=hi, environment=env, present=present, cast=dict(cast),
                mood=shot.mood or scene.mood, cut=cut, reason=reason,
                previous=previous.key if previous is not None else None,
            )
            out.append(state)
            previous = state
    return out


def _env(film: Film, env_id: str) -> EnvironmentLook:
    env = film.environments.get(env_id)
    if env is None:  # the loader reports unknown environments; keep planning going
        return EnvironmentLook(id=env_id, description=env_id)
    return EnvironmentLook.of(env_id, env)


def _cut(shot: Shot, index: int, previous: ShotState | None, env_id: str) -> tuple[bool, str]:
    if previous is None:
        return True, "first shot"
    if previous.environment.id != env_id:
        return True, f"environment changes ({previous.environment.id} -> {env_id})"
    if shot.start_frame is not None:
        return True, "starts from its own start_frame"
    if shot.continuity == Continuity.CUT:
        return True, "cut requested"
    if shot.continuity == Continuity.CONTINUE:
        return False, "continues (requested)"
    if index == 0:
        return True, "new scene"
    return False, "continues (same scene and environment)"
