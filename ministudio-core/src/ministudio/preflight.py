"""Checks made before anything is spent: are the credentials of the providers a plan uses there?

:func:`credential_problems` asks, for each provider, what its :class:`~ministudio.AuthSpec`
requires (every variable, unless ``optional``) and, when the plugin implements the optional
``check_credentials`` hook, the plugin itself (for credentials with alternatives, such as a
token, a key file or an SDK's default chain). :func:`require_credentials` raises one
:class:`~ministudio.errors.AuthenticationError` listing every problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ministudio.errors import AuthenticationError, MinistudioError
from ministudio.log import get_logger

__all__ = ["credential_problems", "plan_providers", "require_credentials"]

log = get_logger(__name__)


def plan_providers(plan: Any) -> list[str]:
    """Every clip and speech provider a film plan calls, in first-use order."""
    names: list[str] = []
    for sp in getattr(plan, "shots", ()):
        for name in (sp.request.provider,
                     *(line.request.provider for line in getattr(sp, "speech", ()))):
            if name and name not in names:
                names.append(name)
    return names


def _where(spec: Any) -> str:
    bits = [b for b in (getattr(spec.auth, "description", ""), spec.docs_url) if b]
    return f" ({'; '.join(bits)})" if bits else ""


def credential_problems(manager: Any, providers: Iterable[str], *, env: Mapping[str, str],
                        provider_settings: Mapping[str, Mapping[str, Any]] | None = None
                        ) -> list[str]:
    """One line per provider whose credentials are missing (empty when all look present)."""
    problems: list[str] = []
    settings = provider_settings or {}
    for name in providers:
        try:
            spec = manager.get_provider(name)
        except MinistudioError:
            continue  # unknown providers are reported by validation, with their location
        auth = spec.auth
        missing = auth.missing(env) if auth is not None else ()
        if missing:
            problems.append(f"{name}: set {' and '.join(missing)}{_where(spec)}")
            continue
        message = _ask_plugin(manager, spec, settings.get(name, {}), env)
        if message:
            problems.append(f"{name}: {message}")
    return problems


def _ask_plugin(manager: Any, spec: Any, settings: Mapping[str, Any],
                env: Mapping[str, str]) -> str | None:
    owner = manager.pm.get_plugin(spec.plugin or "")
    if owner is None or not any(
        impl.plugin is owner for impl in manager.pm.hook.check_credentials.get_hookimpls()
    ):
        return None
    others = [p for p in manager.pm.get_plugins() if p is not owner]
    caller = manager.pm.subset_hook_caller("check_credentials", remove_plugins=others)
    try:
        answer = caller(provider=spec.name, settings=dict(settings), env=dict(env))
    except Exception as exc:  # noqa: BLE001 - a broken check must not block a render
        log.warning("preflight.check_failed", provider=spec.name, error=type(exc).__name__)
        return None
    return str(answer) if answer else None


def require_credentials(manager: Any, providers: Iterable[str], *, env: Mapping[str, str],
                        provider_settings: Mapping[str, Mapping[str, Any]] | None = None) -> None:
    """Raise :class:`AuthenticationError` naming every provider without credentials."""
    problems = credential_problems(manager, providers, env=env,
                                   provider_settings=provider_settings)
    if problems:
        raise AuthenticationError(
            "missing credentials, nothing was spent:\n" + "\n".join(f"  {p}" for p in problems),
            hint="set them in the environment or the project's .env file; "
            "`ministudio providers show NAME` says what each provider reads",
        )
