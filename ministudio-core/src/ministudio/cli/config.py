"""``ministudio config show|path``."""

from __future__ import annotations

from pathlib import Path

import click

from ministudio.cli import AppState, emit_json
from ministudio.config import mask, user_config_path

__all__ = ["config"]


@click.group()
def config() -> None:
    """Inspect the merged settings."""


@config.command("show")
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Project folder (default: current folder).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def show(state: AppState, project: Path | None, as_json: bool) -> None:
    """Every setting with where it came from; secrets masked. Lists each provider's
    credential variables as set or not set, never their values."""
    settings = state.settings(project)
    rows = [{"key": k, "value": v, "source": s} for k, v, s in settings.describe()]
    creds = []
    for spec in state.manager(project).providers():
        for var in spec.auth.env_vars:
            creds.append({"provider": spec.name, "env_var": var,
                          "value": mask(settings.env.get(var, "")) or None})
    if as_json:
        emit_json({"settings": rows, "credentials": creds})
        return
    width = max((len(r["key"]) for r in rows), default=10)
    for r in rows:
        click.echo(f"{r['key']:<{width}}  {r['value']!s:<20}  ({r['source']})")
    for c in creds:
        click.echo(f"credential {c['env_var']} for {c['provider']}: "
                   + ("set (****)" if c["value"] else "not set"))


@config.command("path")
def path() -> None:
    """Where the user config file is (or would be)."""
    click.echo(str(user_config_path()))
