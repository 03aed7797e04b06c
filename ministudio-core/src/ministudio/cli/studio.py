"""``ministudio studio [DIR]``: the local web app and HTTP API (see ``docs/studio.md``).

Starlette and uvicorn are imported here, inside the command, so the CLI's cold start stays
fast; they come with the ``studio`` extra of ``ministudio-core``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import socket
import sys
from pathlib import Path

import click

__all__ = ["studio"]

TOKEN_ENV = "MINISTUDIO_STUDIO_TOKEN"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command("studio")
@click.argument("directory", required=False, default=".",
                type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but a loopback address needs --allow-remote.")
@click.option("--port", default=8321, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0: any free port).")
@click.option("--allow-remote", is_flag=True,
              help="Allow a non-local --host (anyone who can reach it and has the token can "
                   "render and spend).")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="Another host name browsers use to reach a non-local studio (repeatable).")
@click.option("--max-renders", type=click.IntRange(1, 16),
              help="Renders of different projects at once (setting studio.max_renders).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the address and token as one JSON line (for scripts).")
@click.pass_obj
def studio(state, directory: Path, host: str, port: int, allow_remote: bool,
           allowed_hosts: tuple[str, ...], max_renders: int | None, as_json: bool) -> None:
    """Serve the studio for the films in DIRECTORY: edit, plan, render, watch and fix them in
    a browser, or drive it through its HTTP API. Prints the URL to open (with its token)."""
    from ministudio.errors import ConfigError

    if not allow_remote and not _loopback(host):
        raise click.UsageError(f"--host {host} is not a local address: pass --allow-remote to "
                               "serve the studio beyond this machine")
    try:
        import uvicorn

        from ministudio.studio.app import create_app
        from ministudio.studio.security import allowed_hosts as hosts_for
    except ImportError as exc:
        raise ConfigError(f"the studio needs {exc.name}",
                          hint="install the studio extra: pip install -e './ministudio-core[studio]' in a "
                               "clone, or pip install starlette uvicorn jinja2") from None
    root = directory.resolve()
    settings = state.settings(root)
    bound = max_renders or int(settings.get("studio.max_renders", 2) or 2)
    token = os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(24)
    if len(token) < 16:
        raise ConfigError(f"{TOKEN_ENV} is too short (at least 16 characters)")

    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(128)  # connections wait in the backlog until the server runs
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                          hint="pick another --port (0 for any free one)") from None
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown and not shown.startswith("[") else shown
    url = f"http://{shown}:{port}/"
    app = create_app(root, token=token, hosts=hosts_for(host, port, allowed_hosts),
                     overrides=state.overrides, max_renders=bound)
    if as_json:
        click.echo(json.dumps({"url": url, "token": token, "open": f"{url}?token={token}",
                               "host": host, "port": port, "root": str(root)}))
    else:
        click.echo(f"MiniStudio Studio for {root}")
        click.echo(f"  open {url}?token={token}")
        click.echo("  (the token is required for every request; stop with Ctrl-C)")
    sys.stdout.flush()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
