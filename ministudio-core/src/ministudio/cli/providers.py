"""``ministudio providers list|show``."""

from __future__ import annotations

from typing import Any

import click

from ministudio.capabilities import ClipModel, ProviderSpec
from ministudio.cli import AppState, emit_json
from ministudio.converter import unstructure
from ministudio.plugins import ProviderEntry, Status
from ministudio.pricing import effective_pricing

__all__ = ["providers"]


@click.group()
def providers() -> None:
    """List and inspect installed providers (plugins)."""


def _row(entry: ProviderEntry) -> dict[str, Any]:
    spec = entry.spec
    rec = entry.plugin
    return {
        "name": entry.name,
        "plugin": rec.name,
        "package": rec.distribution or ("ministudio-core" if rec.builtin else None),
        "version": rec.version,
        "status": entry.status,
        "operations": sorted(o.value for o in spec.operations) if spec else [],
        "models": [m.id for m in (*spec.clip_models, *spec.speech_models)] if spec else [],
        "note": entry.note,
        "hint": rec.hint if entry.status != Status.ACTIVE else "",
    }


@providers.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_(state: AppState, as_json: bool) -> None:
    """Every installed provider with its package, version and status.

    Status is active, disabled, failed (import error, raising hook or a name conflict) or
    incompatible (built for another plugin API). Problems never stop the listing.
    """
    manager = state.manager()
    rows = [_row(e) for e in manager.entries()]
    if as_json:
        emit_json(rows)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(box=None, pad_edge=False)
        for col in ("NAME", "PACKAGE", "VERSION", "STATUS", "OPERATIONS", "MODELS", "NOTE"):
            table.add_column(col, overflow="fold")
        for r in rows:
            style = {"active": "green", "disabled": "dim"}.get(r["status"], "red")
            table.add_row(
                r["name"], r["package"] or "-", r["version"] or "-",
                f"[{style}]{r['status']}[/]", ",".join(r["operations"]),
                ",".join(r["models"]), r["note"],
            )
        import sys

        Console(width=None if sys.stdout.isatty() else 240).print(table)
    if state.debug:
        for record in manager.records.values():
            if record.traceback:
                click.echo(f"--- {record.name} ({record.distribution}) ---", err=True)
                click.echo(record.traceback, err=True)


def _clip_caps(m: ClipModel) -> dict[str, Any]:
    data = unstructure(m)
    data.pop("pricing", None)
    return data


def describe_provider(spec: ProviderSpec, state: AppState) -> dict[str, Any]:
    settings = state.settings()
    pricing_settings = settings.get("pricing") or {}
    env = settings.env
    models: list[dict[str, Any]] = []
    for m in (*spec.clip_models, *spec.speech_models):
        kind = "clip" if isinstance(m, ClipModel) else "speech"
        caps = _clip_caps(m) if isinstance(m, ClipModel) else {
            k: v for k, v in unstructure(m).items() if k != "pricing"
        }
        price = effective_pricing(spec.name, m.id, m.pricing, pricing_settings)
        models.append({"kind": kind, **caps, "pricing": unstructure(price) if price else None})
    return {
        "name": spec.name,
        "plugin": spec.plugin,
        "description": spec.description,
        "operations": sorted(o.value for o in spec.operations),
        "default_model": spec.default_model,
        "docs_url": spec.docs_url,
        "auth": {
            "env_vars": {name: bool(env.get(name)) for name in spec.auth.env_vars},
            "optional": spec.auth.optional,
            "description": spec.auth.description,
        },
        "scorer": unstructure(spec.scorer) if spec.scorer else None,
        "models": models,
        "settings": sorted(settings.provider(spec.name)),
    }


@providers.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show(state: AppState, name: str, as_json: bool) -> None:
    """Capabilities, pricing and auth of one provider. Shows whether each credential variable
    is set, never its value."""
    spec = state.manager().get_provider(name)
    info = describe_provider(spec, state)
    if as_json:
        emit_json(info)
        return
    out = click.echo
    out(f"{info['name']}  (plugin {info['plugin']})  {info['description']}")
    out(f"operations: {', '.join(info['operations'])}")
    if info["docs_url"]:
        out(f"docs: {info['docs_url']}")
    for var, is_set in info["auth"]["env_vars"].items():
        out(f"auth: {var} {'is set' if is_set else 'is NOT set'}"
            + (" (optional)" if info["auth"]["optional"] else ""))
    if info["scorer"]:
        out(f"scorer: {info['scorer']['kind']} (threshold {info['scorer']['threshold']})")
    for m in info["models"]:
        out(f"\nmodel {m['id']} ({m['kind']})" + ("  [default]" if m["id"] == spec.default_model else ""))
        for key, value in m.items():
            if key in ("id", "kind", "pricing") or value in (None, "", [], ()):
                continue
            if isinstance(value, list):
                value = ", ".join(str(v) if not isinstance(v, dict) else v.get("id", str(v)) for v in value)
            out(f"  {key}: {value}")
        p = m["pricing"]
        if p:
            parts = [f"{p[k]} {p['currency']} {label}" for k, label in
                     (("per_second", "per second"), ("per_request", "per request"),
                      ("per_million_chars", "per million chars")) if p.get(k) is not None]
            out(f"  pricing: {', '.join(parts) or 'free'} (as of {p['as_of'] or '?'}; {p['source']})")
        else:
            out("  pricing: unknown")
