"""The studio's gate: every request needs the token, comes for the studio's own host and, when
it comes from a page, from the studio's own origin.

- **Token**: ``Authorization: Bearer TOKEN`` (scripts) or the ``ministudio_studio`` cookie,
  which opening the printed ``/?token=TOKEN`` URL sets (``HttpOnly``, ``SameSite=Strict``)
  before redirecting to the same page without the token. Anything else gets 401.
- **Host**: the ``Host`` header must name the address the studio listens on (``127.0.0.1``,
  ``localhost``, ``[::1]`` or hosts given for a non-local bind), which defeats DNS rebinding.
- **Origin**: a request carrying an ``Origin`` other than the studio's own, or marked
  ``Sec-Fetch-Site: cross-site``, is refused (403); a state-changing request authorised by the
  cookie must carry the studio's own ``Origin``. No CORS header is ever sent.

Refusals are JSON ``{"error": ...}``. Every response gets ``nosniff``, ``no-referrer`` (the
token never leaks through a Referer) and ``frame-ancestors 'none'``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["COOKIE", "Guard", "allowed_hosts"]

COOKIE = "ministudio_studio"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


def allowed_hosts(host: str, port: int, extra: Iterable[str] = ()) -> set[str]:
    """``Host`` header values accepted for a server on ``host:port``."""
    names = {"127.0.0.1", "localhost", "[::1]"}
    if host not in ("0.0.0.0", "::"):
        names.add(f"[{host}]" if ":" in host and not host.startswith("[") else host)
    names.update(extra)
    return {f"{n.lower()}:{port}" for n in names}


async def _send_json(send: Any, status: int, message: str,
                     headers: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"), *_HEADERS, *headers]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware enforcing the token, the host and the origin (see module docs)."""

    def __init__(self, app: Any, *, token: str, hosts: set[str]) -> None:
        if len(token) < 16:
            raise ValueError("the studio token must be at least 16 characters")
        self.app = app
        self.token = token.encode()
        self.hosts = {h.lower() for h in hosts}

    def _token_ok(self, value: str | None) -> bool:
        return bool(value) and hmac.compare_digest(value.encode(), self.token)  # type: ignore[union-attr]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websockets: events are server-sent
            await send({"type": "websocket.close", "code": 1008})
            return
        headers: dict[str, str] = {}
        for k, v in scope.get("headers", []):
            headers.setdefault(k.decode("latin-1").lower(), v.decode("latin-1"))
        host = headers.get("host", "").lower()
        if host not in self.hosts:
            await _send_json(send, 400, "unexpected Host header: open the studio at the "
                             "address it printed")
            return
        origin = headers.get("origin")
        own = f"http://{host}"
        if origin is not None and origin.lower() != own:
            await _send_json(send, 403, "cross-origin request refused")
            return
        if headers.get("sec-fetch-site") == "cross-site":
            await _send_json(send, 403, "cross-site request refused")
            return

        method = scope["method"]
        auth = headers.get("authorization", "")
        bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        cookie_value = None
        if "cookie" in headers:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(headers["cookie"])
            except Exception:  # a malformed cookie header is no token
                jar = SimpleCookie()
            if COOKIE in jar:
                cookie_value = jar[COOKIE].value
        query = scope.get("query_string", b"").decode("latin-1")
        params = parse_qsl(query, keep_blank_values=True)
        given = next((v for k, v in params if k == "token"), None)

        if given is not None and method in ("GET", "HEAD"):
            if not self._token_ok(given):
                await _send_json(send, 401, "wrong token: open the URL `ministudio studio` "
                                 "printed")
                return
            rest = urlencode([(k, v) for k, v in params if k != "token"])
            location = scope.get("path", "/") + (f"?{rest}" if rest else "")
            cookie = (f"{COOKIE}={self.token.decode()}; Path=/; HttpOnly; SameSite=Strict")
            await send({"type": "http.response.start", "status": 303, "headers": [
                (b"location", location.encode()), (b"set-cookie", cookie.encode()),
                (b"content-length", b"0"), (b"cache-control", b"no-store"), *_HEADERS]})
            await send({"type": "http.response.body", "body": b""})
            return
        if self._token_ok(bearer):
            pass
        elif self._token_ok(cookie_value):
            if method in UNSAFE and origin is None and headers.get("sec-fetch-site") != "same-origin":
                await _send_json(send, 403, "a change from a page needs the studio's own Origin")
                return
        else:
            await _send_json(send, 401, "missing or wrong token: open the URL `ministudio "
                             "studio` printed, or send Authorization: Bearer TOKEN",
                             [(b"www-authenticate", b'Bearer realm="ministudio-studio"')])
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *[(k, v) for k, v in _HEADERS if k not in present]]
            await send(message)

        await self.app(scope, receive, with_headers)
