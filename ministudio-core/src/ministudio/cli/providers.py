"""``ministudio providers list|show``."""

from __future__ import annotations

from typing import Any

import click

from ministudio.capabilities import ClipModel, ProviderSpec
from ministudio.cli import AppState, emit_json
from ministudio.cli.words import counted
from ministudio.plugins import ProviderEntry, Status

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
        _print_list(rows)
    if state.debug:
        for record in manager.records.values():
            if record.traceback:
                click.echo(f"--- {record.name} ({record.distribution}) ---", err=True)
                click.echo(record.traceback, err=True)


def _print_list(rows: list[dict[str, Any]]) -> None:
    """The table (a problem's note goes below it, in full, naming the row's package)."""
    import sys

    from ministudio.cli.tables import Column, print_table, render_plain

    colour = {"active": "green", "disabled": "dim"}
    columns = [Column("NAME"), Column("STATUS"), Column("OPERATIONS"),
               Column("PACKAGE", wide=True), Column("MODELS", wide=True)]
    cells = [[r["name"], r["status"], ",".join(r["operations"]),
              f"{r['package'] or '-'} {r['version'] or ''}".strip(), ", ".join(r["models"])]
             for r in rows]
    width = None
    if sys.stdout.isatty():
        import shutil

        width = max(40, shutil.get_terminal_size().columns)
    if width is not None and max(map(len, render_plain(columns, cells).splitlines())) > width:
        # a narrow terminal: versions and model ids are in `providers show NAME`
        columns[3], columns[4] = Column("PACKAGE"), Column("MODELS")
        cells = [[*c[:3], r["package"] or "-",
                  counted(len(r["models"]), "model") if r["models"] else ""]
                 for c, r in zip(cells, rows, strict=True)]
    print_table(columns, cells, styles=[{1: colour.get(r["status"], "red")} for r in rows])
    noted = [r for r in rows if r["note"] or r["hint"]]
    if not noted:
        return
    click.echo("\nnotes:")
    for r in noted:
        who = f"{r['name']} ({r['package'] or '-'} {r['version'] or ''}".strip() + ")"
        text = f"{who}: {r['note']}" + (f" (hint: {r['hint']})" if r["hint"] else "")
        if width is None:
            click.echo(f"  {text}")
        else:
            import textwrap

            click.echo(textwrap.fill(text, width=width - 1, initial_indent="  ",
                                     subsequent_indent="    ", break_on_hyphens=False))


def _clip_caps(m: ClipModel) -> dict[str, Any]:
    from ministudio.converter import unstructure

    data = unstructure(m)
    data.pop("pricing", None)
    if m.durations:  # the range fields do not apply to a model with discrete durations
        data["min_duration_s"], data["max_duration_s"] = min(m.durations), max(m.durations)
    return data


def _settings(spec: ProviderSpec, settings: Any) -> list[dict[str, Any]]:
    """Every setting the provider declares, and every key the user set (values are not shown:
    a table may hold a secret)."""
    table = settings.provider(spec.name)
    problems = dict(spec.setting_problems(table))
    rows = []
    for decl in spec.declared_settings() or ():
        rows.append({"name": decl.name, "type": decl.type, "default": decl.default,
                     "choices": list(decl.choices), "description": decl.description,
                     "declared": True, "set": decl.name in table,
                     "source": settings.sources.get(f"providers.{spec.name}.{decl.name}")
                     if decl.name in table else None, "problem": problems.get(decl.name)})
    known = {r["name"] for r in rows}
    for key in sorted(set(table) - known):
        rows.append({"name": key, "type": None, "default": None, "choices": [],
                     "description": "", "declared": spec.settings is None, "set": True,
                     "source": settings.sources.get(f"providers.{spec.name}.{key}"),
                     "problem": problems.get(key)})
    return rows


def describe_provider(spec: ProviderSpec, state: AppState) -> dict[str, Any]:
    # the converter (cattrs) and pricing only for `show`: `list` stays a fast cold start
    from ministudio.converter import unstructure
    from ministudio.pricing import effective_pricing

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
            # what `render` would say before spending (None: credentials look present)
            "problem": _credential_problem(spec, state, env),
        },
        "scorer": unstructure(spec.scorer) if spec.scorer else None,
        "models": models,
        "settings_declared": spec.settings is not None,
        "settings": _settings(spec, settings),
    }


def _credential_problem(spec: Any, state: AppState, env: Any) -> str | None:
    from ministudio.preflight import credential_problems

    settings = state.settings()
    found = credential_problems(state.manager(), [spec.name], env=env,
                                provider_settings=settings.provider_settings())
    return found[0].split(": ", 1)[1] if found else None


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
            + (" (one of the ways below)" if info["auth"]["optional"] else " (required)"))
    if info["auth"]["description"]:
        out(f"auth: {info['auth']['description']}")
    if info["auth"]["env_vars"] or info["auth"]["problem"]:
        out("credentials: " + (f"MISSING: {info['auth']['problem']}" if info["auth"]["problem"]
                               else "ready"))
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
            source = f"; {p['source']}" if p["source"] else ""
            out(f"  pricing: {_price_text(p)} (as of {p['as_of'] or '?'}{source})")
            for rule in p.get("rules") or ():
                when = [f"at {rule['resolution']}"] if rule.get("resolution") else []
                if rule.get("audio") is not None:
                    when.append("with audio" if rule["audio"] else "without audio")
                out(f"    {' '.join(when)}: {_price_text({**rule, 'currency': p['currency']})}")
        else:
            out("  pricing: unknown")
    _print_settings(info)


def _price_text(p: dict[str, Any]) -> str:
    parts = [f"{p[k]} {p['currency']} {label}" for k, label in
             (("per_second", "per second"), ("per_request", "per request"),
              ("per_million_chars", "per million chars")) if p.get(k) is not None]
    return ", ".join(parts) or "free"


def _print_settings(info: dict[str, Any]) -> None:
    out = click.echo
    name = info["name"]
    if not info["settings_declared"]:
        out(f"\nsettings [providers.{name}]: not declared by the plugin (not checked)")
    else:
        out(f"\nsettings [providers.{name}]:")
    for row in info["settings"]:
        if not row["declared"] and info["settings_declared"]:
            where = f" in {row['source']}" if row["source"] else ""
            out(f"  {row['name']}: set{where}, {row['problem']}")
            continue
        kind = row["type"] or "?"
        extra = []
        if row["default"] is not None:
            extra.append(f"default {row['default']!r}")
        if row["choices"]:
            extra.append("one of " + ", ".join(map(str, row["choices"])))
        if row["set"]:
            extra.append(f"set in {row['source'] or 'settings'}")
        if row["problem"]:
            extra.append(f"PROBLEM: {row['problem']}")
        desc = f"  {row['description']}" if row["description"] else ""
        out(f"  {row['name']} ({kind}{'; ' + '; '.join(extra) if extra else ''}){desc}")
