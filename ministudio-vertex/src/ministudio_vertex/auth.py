"""Credentials, project and location, and the google-genai client built from them.

Credentials, first found wins:

1. an OAuth access token in the variable named by ``access_token_env`` (default
   ``VERTEX_ACCESS_TOKEN``), e.g. ``export VERTEX_ACCESS_TOKEN=$(gcloud auth print-access-token)``;
2. a credentials file: ``service_account_file`` in ``[providers.vertex]`` or
   ``GOOGLE_APPLICATION_CREDENTIALS``;
3. Application Default Credentials (``gcloud auth application-default login``, or the
   metadata server on Google Cloud).

Project: ``project`` setting, ``GOOGLE_CLOUD_PROJECT``, or the one the credentials carry.
Location: ``location`` setting, ``GOOGLE_CLOUD_LOCATION``, else ``us-central1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from ministudio.errors import AuthenticationError, ConfigError

__all__ = ["DEFAULT_LOCATION", "SCOPES", "TOKEN_ENV", "Target", "http_client", "make_client", "resolve"]

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
TOKEN_ENV = "VERTEX_ACCESS_TOKEN"
DEFAULT_LOCATION = "us-central1"


@attrs.frozen(kw_only=True)
class Target:
    """Where and as whom to call Vertex AI."""

    credentials: Any = attrs.field(repr=False)
    project: str
    location: str
    #: how the credentials were found (for logs; never the secret itself)
    source: str


def resolve(settings: Mapping[str, Any], env: Mapping[str, str]) -> Target:
    """Find credentials, project and location. Raises AuthenticationError / ConfigError."""
    import google.auth
    import google.auth.exceptions
    from google.oauth2.credentials import Credentials

    project = settings.get("project") or env.get("GOOGLE_CLOUD_PROJECT") or None
    location = settings.get("location") or env.get("GOOGLE_CLOUD_LOCATION") or DEFAULT_LOCATION
    token_env = str(settings.get("access_token_env") or TOKEN_ENV)
    key_file = settings.get("service_account_file") or env.get("GOOGLE_APPLICATION_CREDENTIALS")
    found_project = None
    try:
        if env.get(token_env):
            credentials, source = Credentials(token=env[token_env]), f"access token in {token_env}"
        elif key_file:
            credentials, found_project = google.auth.load_credentials_from_file(
                str(key_file), scopes=list(SCOPES)
            )
            source = "credentials file"
        else:
            credentials, found_project = google.auth.default(scopes=list(SCOPES))
            source = "application default credentials"
    except google.auth.exceptions.DefaultCredentialsError as exc:
        raise AuthenticationError(
            f"vertex: no Google credentials found ({type(exc).__name__})",
            hint=f"run `gcloud auth application-default login`, set {token_env} to an access "
            "token, or point [providers.vertex] service_account_file at a key file",
        ) from exc
    project = project or found_project
    if not project:
        raise ConfigError(
            "vertex: no Google Cloud project set",
            hint="set [providers.vertex] project = \"my-project\" or GOOGLE_CLOUD_PROJECT",
        )
    return Target(credentials=credentials, project=str(project), location=str(location), source=source)


def http_client(transport: Any, timeout_s: float) -> Any:
    """A sync HTTP client over ``transport`` (an httpx or httpx2 transport), or the network."""
    if transport is not None and type(transport).__module__.split(".")[0] == "httpx2":
        import httpx2  # type: ignore[import-not-found]

        return httpx2.Client(transport=transport, timeout=timeout_s)
    import httpx

    return httpx.Client(transport=transport, timeout=httpx.Timeout(timeout_s, connect=10.0))


def make_client(target: Target, *, http: Any, timeout_s: float) -> Any:
    """A google-genai client in Vertex mode, sending through ``http`` (a sync httpx/httpx2
    client, e.g. over a test transport) when given. SDK retries are off (core owns retries)."""
    from google import genai
    from google.genai import types

    options: dict[str, Any] = {"timeout": int(timeout_s * 1000)}
    if http is not None:
        options["httpx_client"] = http
    return genai.Client(
        vertexai=True,
        project=target.project,
        location=target.location,
        credentials=target.credentials,
        http_options=types.HttpOptions(**options),
    )


def bearer_token(credentials: Any) -> str:
    """A current access token from ``credentials`` (refreshing it when needed)."""
    if not getattr(credentials, "valid", False) or not credentials.token:
        import google.auth.exceptions
        from google.auth.transport.requests import Request

        try:
            credentials.refresh(Request())
        except google.auth.exceptions.RefreshError as exc:
            raise AuthenticationError(
                f"vertex: the Google credentials could not be refreshed ({type(exc).__name__})"
            ) from exc
    return str(credentials.token)


def credentials_problem(settings: Mapping[str, Any], env: Mapping[str, str]) -> str | None:
    """Why no credentials would be found (no network, nothing spent), or ``None``."""
    import os
    from pathlib import Path

    token_env = str(settings.get("access_token_env") or TOKEN_ENV)
    project = settings.get("project") or env.get("GOOGLE_CLOUD_PROJECT")
    if env.get(token_env):
        if not project:
            return (f"an access token is set in {token_env}, but no project: set "
                    "GOOGLE_CLOUD_PROJECT or [providers.vertex] project (docs/providers/vertex.md)")
        return None
    key_file = settings.get("service_account_file") or env.get("GOOGLE_APPLICATION_CREDENTIALS")
    if key_file:
        if not Path(str(key_file)).expanduser().is_file():
            return f"the credentials file {key_file} does not exist (docs/providers/vertex.md)"
        return None
    config = env.get("CLOUDSDK_CONFIG") or os.path.join(
        env.get("HOME") or os.path.expanduser("~"), ".config", "gcloud")
    if Path(config, "application_default_credentials.json").is_file():
        return None
    try:  # on Google Cloud the metadata server provides credentials
        if "Google" in Path("/sys/class/dmi/id/product_name").read_text():
            return None
    except OSError:
        pass
    return (f"no Google credentials: set {token_env} (e.g. `export {token_env}=$(gcloud auth "
            "print-access-token)` and GOOGLE_CLOUD_PROJECT), or GOOGLE_APPLICATION_CREDENTIALS "
            "to a service-account key file, or run `gcloud auth application-default login`; "
            "see docs/providers/vertex.md")
