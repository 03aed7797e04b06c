"""Every error MiniStudio raises on purpose.

The tree::

    MinistudioError
    ├── PluginError                      – discovery, import or registration of a plugin went wrong
    │   ├── PluginLoadError              – the entry point failed to import or its hooks raised
    │   ├── PluginConflictError          – two plugins offer the same provider name
    │   └── IncompatiblePluginError      – built for another plugin API / core version
    ├── ConfigError (ValueError)         – bad settings or a bad film file; ``.problems`` lists each one
    ├── ProviderNotFoundError (LookupError)
    ├── CapabilityError (ValueError)     – a request the model cannot do; raised before any I/O
    ├── MediaError (ValueError)          – a clip or image that is empty, truncated or not media
    └── ProviderError                    – raised by or for a provider while doing the work
        ├── RetryableProviderError       – ``retryable = True``: core may try again
        │   ├── RateLimitedError         – HTTP 429 / quota; ``retry_after`` in seconds when known
        │   ├── ProviderUnavailableError – 5xx, timeouts, connection errors, cold starts
        │   └── JobPendingError          – stop waiting: the paid job continues; re-attach to it
        └── (not retryable)
            ├── AuthenticationError      – missing or rejected credentials
            ├── ContentRejectedError     – safety or policy filters refused the request or output
            ├── PaymentRequiredError     – the account has no credit / billing disabled
            └── JobFailedError           – a long-running job finished in failure

Providers *classify* failures by raising the right subclass; core owns the retry policy
(:mod:`ministudio.dispatch` retries exactly the errors whose ``retryable`` is true, honouring
``retry_after``). Messages never contain secrets: build them from what the user can see.

Paid jobs: once a provider has reported a job (``context.report_job``), the job belongs to the
shot until it is known to have ended. Core re-attaches to it (``context.resume_job_id``) on
every retry and every later render, whatever the error, *unless* the error says the job itself
is over: :class:`JobFailedError` and :class:`ContentRejectedError` do, and any
:class:`ProviderError` raised with ``job_ended=True`` does (e.g. a job that finished with a
transient server error: retryable, and a new job is needed). :class:`JobPendingError` says
"the job is still running, I stopped waiting": core re-attaches later, never submits again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "AuthenticationError",
    "CapabilityError",
    "ConfigError",
    "ContentRejectedError",
    "IncompatiblePluginError",
    "JobFailedError",
    "JobPendingError",
    "MediaError",
    "MinistudioError",
    "PaymentRequiredError",
    "PluginConflictError",
    "PluginError",
    "PluginLoadError",
    "ProviderError",
    "ProviderNotFoundError",
    "ProviderUnavailableError",
    "RateLimitedError",
    "RetryableProviderError",
]


class MinistudioError(Exception):
    """Base class: a problem to show the user as one clear message (no traceback)."""

    #: a short hint printed under the message by the CLI, when there is something to do
    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


# -- plugins -----------------------------------------------------------------------------------


class PluginError(MinistudioError):
    """A plugin could not be used. Carries the entry point and distribution it came from."""

    def __init__(
        self,
        message: str,
        *,
        plugin: str | None = None,
        distribution: str | None = None,
        version: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.plugin = plugin
        self.distribution = distribution
        self.version = version


class PluginLoadError(PluginError):
    """The plugin failed to import, or its registration hook raised."""


class PluginConflictError(PluginError):
    """Two plugins offer a provider with the same name; neither is used until one is disabled."""


class IncompatiblePluginError(PluginError):
    """The plugin was built for another plugin API version (or another core version)."""


# -- user input --------------------------------------------------------------------------------


class ConfigError(MinistudioError, ValueError):
    """Settings or a film file are invalid.

    ``problems`` holds one line per problem (``file:line: path: what was expected``) so that
    every mistake is reported at once.
    """

    def __init__(
        self, message: str, *, problems: Iterable[str] = (), hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems: tuple[str, ...] = tuple(problems)

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return "\n".join([self.message, *(f"  {p}" for p in self.problems)])


class ProviderNotFoundError(MinistudioError, LookupError):
    """No active provider has that name (it may be missing, disabled or failed to load)."""


class CapabilityError(MinistudioError, ValueError):
    """A request asks for something the model does not declare. Raised before any I/O.

    ``violations`` lists every rule broken, e.g. ``duration 5s not in allowed (4, 6, 8)``.
    """

    def __init__(
        self,
        message: str,
        *,
        violations: Sequence[str] = (),
        provider: str | None = None,
        model: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.violations = tuple(violations)
        self.provider = provider
        self.model = model


class MediaError(MinistudioError, ValueError):
    """A media file is unusable: empty, truncated, not video/audio, or the wrong length."""


# -- providers ---------------------------------------------------------------------------------


class ProviderError(MinistudioError):
    """A provider failed to do the work. ``retryable`` tells core whether to try again.

    ``job_id`` names the provider's job when one exists. ``job_ended`` is true when the error
    means that job can no longer deliver (it failed, was rejected or expired): only then may
    core submit a new job for the same shot. It defaults to the class's ``ends_job``.
    """

    retryable: bool = False
    #: whether an error of this class means the provider's job is over (see the module doc)
    ends_job: bool = False

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        model: str | None = None,
        job_id: str | None = None,
        status_code: int | None = None,
        hint: str | None = None,
        job_ended: bool | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.provider = provider
        self.model = model
        self.job_id = job_id
        self.status_code = status_code
        self.job_ended = self.ends_job if job_ended is None else bool(job_ended)


class RetryableProviderError(ProviderError):
    """A transient failure: the same request may succeed later."""

    retryable = True


class RateLimitedError(RetryableProviderError):
    """Too many requests or quota exhausted. ``retry_after`` is in seconds when the API said."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ProviderUnavailableError(RetryableProviderError):
    """Server error, timeout, connection failure or a model still loading."""


class JobPendingError(RetryableProviderError):
    """The job exists and may still deliver, but this call stops waiting for it.

    Raise it (with ``job_id``) when a poll deadline or the call's own deadline
    (``context.deadline``) is reached while the job runs. Core records the job as open and
    re-attaches to it on the next try or the next render; it never pays for a second job.
    """


class AuthenticationError(ProviderError):
    """Credentials are missing or were rejected."""


class ContentRejectedError(ProviderError):
    """The provider's safety or policy filters refused the prompt or the output."""

    ends_job = True


class PaymentRequiredError(ProviderError):
    """The account cannot pay for the request (no credit, billing disabled)."""


class JobFailedError(ProviderError):
    """A long-running generation job ended in failure (or is unknown / expired)."""

    ends_job = True
