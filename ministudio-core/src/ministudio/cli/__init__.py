"""The ``ministudio`` command.

Conventions: data goes to stdout, logs and progress to stderr; every list command takes
``--json``; a :class:`~ministudio.errors.MinistudioError` prints one clear line (plus a hint) and
exits 2 for bad input or 1 for a failure while working; tracebacks only with ``--debug``
(or ``MINISTUDIO_DEBUG=1``). Subcommands live in their own modules and are imported only when
used, so ``ministudio --help`` stays fast.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from ministudio import __version__
from ministudio.errors import MinistudioError, PluginError, ProviderError

__all__ = ["AppState", "main"]

#: command name -> "module:attribute"; each module owns one command or group
COMMANDS: dict[str, str] = {
    "providers": "ministudio.cli.providers:providers",
    "config": "ministudio.cli.config:config",
    "validate": "ministudio.cli.film:validate",
    "plan": "ministudio.cli.film:plan",
    "init": "ministudio.cli.film:init",
    "draft": "ministudio.cli.draft:draft",
    "render": "ministudio.cli.render:render",
    "batch": "ministudio.cli.batch:batch",
    "score-identity": "ministudio.cli.identity:score_identity",
    "speak": "ministudio.cli.speak:speak",
    "studio": "ministudio.cli.studio:studio",
    "takes": "ministudio.cli.takes:takes",
    "voices": "ministudio.cli.speak:voices",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


class AppState:
    """Shared by subcommands: global options, settings and the plugin manager (built lazily)."""

    def __init__(self, *, debug: bool, overrides: tuple[str, ...]):
        self.debug = debug
        self.overrides = overrides
        self._manager: Any = None
        self._settings: dict[Path, Any] = {}

    def settings(self, project_dir: Path | None = None) -> Any:
        from ministudio.config import load_settings

        key = (project_dir or Path.cwd()).resolve()
        if key not in self._settings:
            self._settings[key] = load_settings(project_dir=key, overrides=self.overrides)
        return self._settings[key]

    def manager(self, project_dir: Path | None = None) -> Any:
        if self._manager is None:
            from ministudio.plugins import PluginManager

            settings = self.settings(project_dir)
            self._manager = PluginManager(
                env=settings.env, disabled=settings.get("plugins.disabled") or ()
            )
        return self._manager


def emit_json(data: Any) -> None:
    import json

    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="ministudio")
@click.option("--debug", is_flag=True, envvar="MINISTUDIO_DEBUG", help="Show tracebacks.")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.option(
    "--log-format", type=click.Choice(["console", "json"]), default="console", show_default=True
)
@click.option(
    "--set", "overrides", multiple=True, metavar="KEY=VALUE",
    help="Override a setting, e.g. --set render.concurrency=2 (repeatable).",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbose: int, log_format: str,
        overrides: tuple[str, ...]) -> None:
    """MiniStudio: storyboard-as-code for generative video."""
    from ministudio.log import configure

    configure(verbosity=2 if debug else verbose, fmt=log_format)
    ctx.obj = AppState(debug=debug, overrides=overrides)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: turn our errors into one line and an exit code."""
    debug = "--debug" in (argv if argv is not None else sys.argv) or os.environ.get(
        "MINISTUDIO_DEBUG", ""
    ).lower() in {"1", "true", "yes"}
    try:
        rv = cli.main(args=argv, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except MinistudioError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        click.echo(f"error: {exc}", err=True)
        if exc.hint:
            click.echo(f"hint: {exc.hint}", err=True)
        sys.exit(1 if isinstance(exc, ProviderError | PluginError) else 2)
    sys.exit(rv if isinstance(rv, int) else 0)
