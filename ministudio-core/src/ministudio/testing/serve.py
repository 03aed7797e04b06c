"""Serve a fake provider API over real HTTP on 127.0.0.1.

Fake APIs in this kit (and in provider packages) are plain callables from an
``httpx.Request`` to an ``httpx.Response``, so that a test can hand them to
``httpx.MockTransport``. :func:`serve` puts the same callable behind a real HTTP server in a
thread, so that a whole film can be rendered by the ``ministudio`` command (another process)
against it::

    server = serve(api)                     # port 0: any free port
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    ...
    server.shutdown()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["serve"]


def serve(handler: Callable[[Any], Any], port: int = 0) -> Any:
    """Serve ``handler`` (``httpx.Request`` -> ``httpx.Response``) on 127.0.0.1:``port`` in a
    daemon thread; returns the ``ThreadingHTTPServer`` (``.server_address``, ``.shutdown()``).
    """
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import httpx

    class Bridge(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            request = httpx.Request(self.command, f"http://127.0.0.1:{bound}{self.path}",
                                    headers=dict(self.headers.items()),
                                    content=self.rfile.read(length) if length else b"")
            response = handler(request)
            body = response.content
            self.send_response(response.status_code)
            for key, value in response.headers.items():
                if key.lower() not in ("content-length", "transfer-encoding"):
                    self.send_header(key, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _any

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", port), Bridge)
    bound = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
