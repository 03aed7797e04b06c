"""The plugin contract: the hooks a MiniStudio plugin implements.

A plugin is a module (or object) with functions marked ``@ministudio.hookimpl``, published
through an entry point in the ``ministudio`` group::

    [project.entry-points.ministudio]
    kling = "ministudio_kling.plugin"

and a module attribute ``MINISTUDIO_PLUGIN_API = 1`` naming the version of this contract it was
written against (a plugin for another version is reported ``incompatible`` and not used).

Registration hooks
    ``register_providers`` declares what the plugin offers as :class:`ProviderSpec` records.

Operation hooks
    ``generate_clip`` and ``synthesize_speech`` are *routed*: core calls them only on the plugin
    that registered ``request.provider`` (never broadcast), so one plugin raising or hanging
    cannot affect another. ``extract_anchor_frame`` and ``score_identity`` are *first result*
    hooks: core ships default implementations marked ``trylast``; a plugin overrides them with
    ``tryfirst=True``, and a user pins one by provider name (``identity.scorer = "face"``),
    in which case only the plugin that registered that name is called.

Drafting hook
    ``draft_film`` (optional, routed) turns a plain-words description into film data; core
    loads the answer with the normal film loader and sends located problems back for repair.

Executor hook
    ``register_executors`` (optional) offers batch executors (:mod:`ministudio.batch.executors`).

Preflight hook
    ``check_credentials`` (optional, routed) says before anything is spent whether a provider
    could authenticate; core also checks the variables its ``AuthSpec`` requires.

Any operation hook may be ``async def`` (core awaits it) or a plain function (core runs it in
a worker thread, off the event loop). Arguments are opt-in, as in pluggy: a hookimpl may accept
fewer arguments than the spec lists.

Every hook receives a ``context`` (:class:`ministudio.context.CallContext`) with the provider's
settings, a folder to write outputs into, an HTTP transport override for tests, a bound logger,
and ``report_job`` for long-running jobs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ministudio.batch.executors import ExecutorSpec
    from ministudio.capabilities import ProviderSpec
    from ministudio.context import CallContext
    from ministudio.requests import (
        AnchorFrame,
        AnchorFrameRequest,
        ClipRequest,
        ClipResult,
        DraftRequest,
        DraftResult,
        IdentityRequest,
        IdentityScore,
        SpeechRequest,
        SpeechResult,
    )

__all__ = ["PLUGIN_API", "PROJECT", "hookimpl", "hookspec"]

#: the version of this contract; bumped only for breaking changes
PLUGIN_API = 1
PROJECT = "ministudio"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- registration ------------------------------------------------------------------------------


@hookspec
def register_providers() -> Iterable[ProviderSpec]:
    """Declare the providers this plugin offers.

    Return (or yield) :class:`~ministudio.ProviderSpec` records. Called once per plugin at load
    time; it must be cheap: import heavy SDKs inside the operation hooks, not here. A spec whose
    name another plugin also registers is reported as a conflict naming both sources.

    ``auth`` lists credential variables (all required unless ``optional=True``); ``settings``
    declares the keys of ``[providers.NAME]`` the provider reads, so a typo is reported by
    ``validate`` before any work; ``Pricing.rules`` price requests by resolution and audio.

    Example::

        from datetime import date
        from decimal import Decimal

        from ministudio import (AuthSpec, ClipModel, Operation, PriceRule, Pricing,
                                ProviderSpec, Setting, hookimpl)

        @hookimpl
        def register_providers():
            yield ProviderSpec(
                name="kling",
                operations={Operation.CLIP},
                clip_models=(ClipModel(id="kling-2", durations=(5, 10),
                                       aspect_ratios=("16:9", "9:16", "1:1"),
                                       resolutions=("720p", "1080p"),
                                       first_frame=True,
                                       pricing=Pricing(per_second=Decimal("0.07"),
                                                       rules=(PriceRule(resolution="1080p",
                                                                        per_second=Decimal("0.12")),),
                                                       as_of=date(2026, 11, 1),
                                                       source="https://kling.example/pricing")),),
                auth=AuthSpec(env_vars=("KLING_ACCESS_KEY", "KLING_SECRET_KEY")),
                settings=(Setting(name="mode", default="std", choices=("std", "pro")),),
            )
    """


# -- operations --------------------------------------------------------------------------------


@hookspec(firstresult=True)
def generate_clip(
    request: ClipRequest, context: CallContext
) -> ClipResult | Awaitable[ClipResult] | None:
    """Render one clip for ``request`` and return a :class:`~ministudio.ClipResult`.

    Routed: called only on the plugin that registered ``request.provider``. Core has already
    checked the request against the model's declared capabilities, so the implementation maps
    it to its API without re-validating. Write the video into ``context.workdir``. Raise the
    :mod:`ministudio.errors` class that fits a failure (``RateLimitedError``, ``AuthenticationError``...);
    do not retry, core does. For long-running jobs call ``context.report_job(job_id)`` as soon
    as the job exists, and if ``context.resume_job_id`` is set, re-attach to that job instead
    of submitting a new one (declare ``resumable=True`` on the model).

    Example::

        @hookimpl
        async def generate_clip(request, context):
            async with context.http_client() as http:
                job = (await http.post(URL, json={"prompt": request.prompt})).json()
                context.report_job(job["id"])
                ...
            return ClipResult(path=out, provider=request.provider, model=request.model,
                              duration_s=request.duration_s, width=1280, height=720, fps=24)
    """


@hookspec(firstresult=True)
def synthesize_speech(
    request: SpeechRequest, context: CallContext
) -> SpeechResult | Awaitable[SpeechResult] | None:
    """Speak ``request.text`` into a WAV file in ``context.workdir`` and return a
    :class:`~ministudio.SpeechResult` with word timings.

    Routed: called only on the plugin that registered ``request.provider``. Engines without
    native word times estimate them and set ``timing_source="estimated"``.

    Example::

        @hookimpl
        def synthesize_speech(request, context):
            path = context.workdir / "speech.wav"
            samples, words = my_engine.say(request.text, voice=request.voice)
            write_wav(path, samples, 22050)
            return SpeechResult(path=path, provider=request.provider, sample_rate=22050,
                                duration_s=len(samples) / 22050, words=words)
    """


@hookspec(firstresult=True)
def extract_anchor_frame(
    request: AnchorFrameRequest, context: CallContext
) -> AnchorFrame | Awaitable[AnchorFrame] | None:
    """Pick the still a continued shot starts from (normally the last sharp frame).

    Stops at first non-None result. Core's default is ``trylast``; mark an override
    ``tryfirst=True``. Return ``None`` (synchronously) to decline and let the next one answer.

    Example::

        @hookimpl(tryfirst=True)
        def extract_anchor_frame(request, context):
            if request.clip.suffix != ".mov":
                return None
            ...
            return AnchorFrame(path=png, time_s=7.96, frame_index=191, width=1280, height=720)
    """


@hookspec(firstresult=True)
def score_identity(
    request: IdentityRequest, context: CallContext
) -> IdentityScore | Awaitable[IdentityScore] | None:
    """Score how well a clip or image matches a character's reference portraits, in [0, 1].

    Stops at first non-None result. Core's default (``trylast``) is a *look* score (colour and
    structure); a plugin with a real face model overrides it with ``tryfirst=True`` and sets
    ``kind="face"``. Return ``None`` (synchronously) to decline.

    Example::

        @hookimpl(tryfirst=True)
        def score_identity(request, context):
            sims = [cosine(embed(f), ref) for f in sample(request.media, request.samples)]
            return IdentityScore(score=median(sims), p10=p10(sims), minimum=min(sims),
                                 scorer="myface", kind="face", threshold=0.6)
    """


# -- drafting ---------------------------------------------------------------------------------


@hookspec(firstresult=True)
def draft_film(
    request: DraftRequest, context: CallContext
) -> DraftResult | Awaitable[DraftResult] | None:
    """Optional. Draft a film from ``request.text`` and return a :class:`~ministudio.DraftResult`.

    Routed: called only on the plugin that registered ``request.provider`` (declared with
    ``Operation.DRAFT`` and ``draft_models``). Answer with film data that follows
    ``request.schema`` (the film JSON Schema), as a mapping or as JSON/YAML text; keep what
    ``request.hints`` fixes. Core loads the answer with the normal film loader; when it finds
    problems it calls again with ``request.round`` + 1, the located ``request.problems`` and
    the ``request.previous`` answer, a bounded number of rounds. Do not validate or retry here.

    Example::

        @hookimpl
        def draft_film(request, context):
            prompt = request.text if not request.problems else (
                "Fix these problems:\n" + "\n".join(request.problems)
                + "\nin this film:\n" + request.previous)
            answer = my_llm.chat(prompt, json_schema=dict(request.schema))
            return DraftResult(film=answer.text, provider=request.provider,
                               model=request.model or "my-llm-1")
    """


# -- batch executors -------------------------------------------------------------------------


@hookspec
def register_executors() -> Iterable[ExecutorSpec]:
    """Optional. Offer executors for ``ministudio batch`` (``--executor NAME``).

    Return (or yield) :class:`~ministudio.batch.executors.ExecutorSpec` records; core offers
    ``local``, ``dask`` and ``ray``. Like ``register_providers`` it must be cheap: import the
    executor's libraries inside its factory, and raise
    :class:`~ministudio.batch.executors.MissingExtraError` naming the install command when they
    are missing. An executor runs :class:`~ministudio.batch.task.FilmTask` records (see
    docs/batch.md); a name another plugin also offers is reported, and the first one kept.

    Example::

        from ministudio.batch.executors import ExecutorSpec

        @hookimpl
        def register_executors():
            def factory(address, *, slots=None, **options):
                from my_queue_executor import QueueExecutor  # heavy import here

                return QueueExecutor(address or "localhost:5672", slots=slots or 8)

            yield ExecutorSpec(name="queue", factory=factory,
                               description="films as jobs on a message queue")
    """


# -- preflight ---------------------------------------------------------------------------------


@hookspec(firstresult=True)
def check_credentials(provider: str, settings: Mapping[str, Any], env: Mapping[str, str]) -> str | None:
    """Optional. Say, before anything is spent, why ``provider`` could not authenticate now.

    Called by ``validate``/``plan``/``render --dry-run`` with ``--provider`` and by every
    ``render`` before any speech or clip work, only on the plugin that registered
    ``provider``. Core already checks the variables an :class:`~ministudio.AuthSpec` requires;
    implement this when credentials have alternatives (a token, a key file, the SDK's default
    chain). Return ``None`` when credentials look present, else one line naming what to set and
    where to read how. Must be fast and must not make network calls or spend anything.

    Example::

        @hookimpl
        def check_credentials(provider, settings, env):
            if env.get("KLING_ACCESS_KEY") and env.get("KLING_SECRET_KEY"):
                return None
            return "set KLING_ACCESS_KEY and KLING_SECRET_KEY (docs/providers/kling.md)"
    """
