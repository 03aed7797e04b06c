"""Plugin discovery and the plugin manager.

Discovery happens in two phases so that one broken plugin never takes the rest down:

1. *Metadata* (nothing imported): every distribution's entry points in the ``ministudio`` group
   (read by :mod:`ministudio._entrypoints`), filtered by the allow/block lists; a plugin whose
   ``Requires-Dist`` excludes the installed ``ministudio-core`` is ``incompatible`` without
   being imported, and one whose ``entry_points.txt`` cannot be read is ``failed``.
2. *Import and register*, one entry point at a time: an import error, a wrong
   ``MINISTUDIO_PLUGIN_API``, an unknown hook or a raising ``register_providers`` marks that plugin
   ``failed``/``incompatible`` (with distribution, version, reason and hint) and loading goes on.
   Provider names offered twice are a conflict naming both sources; neither is used.

Switches (environment): ``MINISTUDIO_LOAD_PLUGINS=a,b`` loads only those (``""`` loads none),
``MINISTUDIO_DISABLE_PLUGINS=a,b`` skips those (``*`` = all external plugins),
``MINISTUDIO_STRICT_PLUGINS=1`` turns any load problem into a :class:`PluginLoadError`.
Names match the entry point name or the distribution name.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import types
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import pluggy

from ministudio import _entrypoints, hookspecs
from ministudio.capabilities import Operation, ProviderSpec
from ministudio.errors import (
    IncompatiblePluginError,
    PluginLoadError,
    ProviderNotFoundError,
)
from ministudio.log import get_logger

__all__ = ["BUILTIN_PLUGINS", "PluginManager", "PluginRecord", "ProviderEntry", "Status"]

log = get_logger(__name__)

GROUP = "ministudio"
CORE_DIST = "ministudio-core"

#: modules always registered (core's default implementations), as ``(name, module)``
BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (("core", "ministudio.builtin"),
                                                 ("draft", "ministudio.draft.plugin"))

ENV_LOAD = "MINISTUDIO_LOAD_PLUGINS"
ENV_DISABLE = "MINISTUDIO_DISABLE_PLUGINS"
ENV_STRICT = "MINISTUDIO_STRICT_PLUGINS"


class Status:
    ACTIVE = "active"
    DISABLED = "disabled"
    FAILED = "failed"
    INCOMPATIBLE = "incompatible"


@attrs.frozen(kw_only=True)
class PluginRecord:
    """One plugin (an entry point or a built-in module) and what became of it."""

    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False
    status: str = Status.ACTIVE
    reason: str = ""
    hint: str = ""
    traceback: str = ""
    providers: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class ProviderEntry:
    """A row of ``ministudio providers list``: a provider, or a plugin that offers none."""

    name: str
    plugin: PluginRecord
    status: str
    spec: ProviderSpec | None = None
    reason: str = ""

    @property
    def note(self) -> str:
        return self.reason or self.plugin.reason


def _split(value: str) -> set[str]:
    return {v.strip() for v in value.split(",") if v.strip()}


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@functools.cache
def _core_version() -> str:
    dist = _entrypoints.distribution(CORE_DIST)
    version = _headers(dist).get("version") if dist is not None else None
    if version is None:  # running from a source tree
        from ministudio import __version__

        return __version__
    return version[0]


def _identity(dist: _entrypoints.Distribution) -> tuple[str, str | None, dict[str, list[str]]]:
    """A distribution's name and version, and all its metadata headers (read once)."""
    meta = _headers(dist)
    version = meta["version"][0] if meta.get("version") else None
    return (meta.get("name") or ["?"])[0] or "?", version, meta


def _headers(dist: _entrypoints.Distribution) -> dict[str, list[str]]:
    """The header fields of a distribution's core metadata (``METADATA``, or ``PKG-INFO``),
    by lower-cased name. A one-line value (name, version, each requirement) is what
    :attr:`importlib.metadata.Distribution.metadata` gives; a folded one is kept as written.
    That property runs the email package's parser over the whole file (long description
    included), which costs a listing more than everything else in the metadata phase."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    fields: dict[str, list[str]] = {}
    last: list[str] | None = None
    for line in text.split("\n"):
        if not line.strip("\r"):
            break  # the blank line before the description
        if line[0] in " \t":  # a folded value goes on
            if last:
                last[-1] += "\n" + line.rstrip("\r")
            continue
        if not _HEADER.match(line):
            break  # not a header: the email parser starts the body here too
        name, _, value = line.partition(":")
        last = fields.setdefault(name.lower(), [])
        last.append(value.lstrip(" \t").rstrip("\r"))
    return fields


def _traceback() -> str:
    import traceback  # only when a plugin fails

    return traceback.format_exc()


class _Pluggy(pluggy.PluginManager):
    """pluggy's manager; hook discovery on a plugin *module* passes over, without inspecting
    it, every attribute that cannot be a hook implementation (anything but a function,
    static/class method or bound method, and functions without our marker). pluggy inspects
    each of a module's names statically, a third of registering a plugin module of forty
    names; the implementations found are the same."""

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        if isinstance(plugin, types.ModuleType):
            value = plugin.__dict__.get(name)
            if type(value) is types.FunctionType:
                if not hasattr(value, self.project_name + "_impl"):
                    return None
            elif not isinstance(value, staticmethod | classmethod | types.MethodType):
                return None
        return super().parse_hookimpl_opts(plugin, name)


class PluginManager:
    """Loads plugins, keeps what each one offers, and routes operation hooks to their owner.

    ``load_entrypoints=False`` gives a manager with only the built-in plugins, for tests.
    """

    def __init__(
        self,
        *,
        load_entrypoints: bool = True,
        builtins: bool = True,
        env: Mapping[str, str] | None = None,
        disabled: Iterable[str] = (),
        strict: bool | None = None,
    ) -> None:
        self.env = dict(os.environ if env is None else env)
        self.pm = _Pluggy(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.strict = _truthy(self.env.get(ENV_STRICT)) if strict is None else strict
        self._disabled_extra = set(disabled)
        self.records: dict[str, PluginRecord] = {}
        self._specs: dict[str, list[ProviderSpec]] = {}
        self._conflicts: dict[str, str] = {}
        self._callers: dict[tuple[str, str], Any] = {}
        if builtins:
            for name, module in BUILTIN_PLUGINS:
                self._load_module(name, module, builtin=True)
        if load_entrypoints:
            self.load_entrypoints()
        self._resolve_conflicts()
        if self.strict:
            self.raise_for_problems()

    # -- discovery -----------------------------------------------------------------------

    def _allowed(self, ep_name: str, dist_name: str) -> tuple[bool, str]:
        names = {ep_name, dist_name}
        disabled = _split(self.env.get(ENV_DISABLE, "")) | self._disabled_extra
        if "*" in disabled or names & disabled:
            return False, f"disabled by {ENV_DISABLE} or settings"
        if ENV_LOAD in self.env:
            allowed = _split(self.env[ENV_LOAD])
            if not names & allowed:
                return False, f"not in {ENV_LOAD}"
        return True, ""

    def load_entrypoints(self) -> None:
        """Find and load every plugin in the ``ministudio`` entry-point group."""
        seen: set[str] = set()
        for dist in _entrypoints.distributions():
            try:
                eps = [ep for ep in dist.entry_points if ep.group == GROUP]
            except (ValueError, TypeError) as exc:  # a garbled entry_points.txt (importlib
                # .metadata, which reads it when another finder is installed, raises TypeError)
                if f"[{GROUP}]" in (dist.read_text("entry_points.txt") or ""):
                    self._unreadable(dist, exc)
                continue
            if not eps:
                continue
            dist_name, version, meta = _identity(dist)
            for ep in eps:
                if ep.name in seen or ep.name in self.records:
                    continue  # the same dist found twice on sys.path
                seen.add(ep.name)
                base: dict[str, Any] = dict(
                    name=ep.name, module=ep.value, distribution=dist_name, version=version
                )
                ok, why = self._allowed(ep.name, dist_name)
                if not ok:
                    self.records[ep.name] = PluginRecord(**base, status=Status.DISABLED, reason=why)
                    continue
                problem = _requirement_problem(meta.get("requires-dist") or [])
                if problem:
                    self._fail(
                        PluginRecord(**base),
                        Status.INCOMPATIBLE,
                        problem,
                        hint=f"upgrade {dist_name}, or disable it with {ENV_DISABLE}={ep.name}",
                    )
                    continue
                self._load_module(ep.name, ep.value, distribution=dist_name, version=version, ep=ep)

    def _unreadable(self, dist: _entrypoints.Distribution, exc: Exception) -> None:
        dist_name, version, _ = _identity(dist)
        if dist_name in self.records:
            return  # the same dist found twice on sys.path
        record = PluginRecord(name=dist_name, module="?", distribution=dist_name, version=version)
        ok, why = self._allowed(dist_name, dist_name)
        if not ok:
            self.records[dist_name] = attrs.evolve(record, status=Status.DISABLED, reason=why)
            return
        self._fail(
            record,
            Status.FAILED,
            f"its entry_points.txt cannot be read: {exc}",
            hint=f"reinstall {dist_name}, or disable it with {ENV_DISABLE}={dist_name}",
        )

    def _fail(
        self, record: PluginRecord, status: str, reason: str, *, hint: str = "", tb: str = ""
    ) -> None:
        hint = hint or f"disable it with {ENV_DISABLE}={record.name}"
        self.records[record.name] = attrs.evolve(
            record, status=status, reason=reason, hint=hint, traceback=tb, providers=()
        )
        log.warning(
            "plugin.unusable",
            plugin=record.name,
            distribution=record.distribution,
            version=record.version,
            status=status,
            reason=reason,
        )

    def _load_module(
        self,
        name: str,
        module: str,
        *,
        builtin: bool = False,
        distribution: str | None = None,
        version: str | None = None,
        ep: _entrypoints.EntryPoint | None = None,
    ) -> None:
        record = PluginRecord(
            name=name, module=module, distribution=distribution, version=version, builtin=builtin
        )
        try:
            obj = ep.load() if ep is not None else importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - any import failure demotes only this plugin
            self._fail(
                record,
                Status.FAILED,
                f"import failed: {type(exc).__name__}: {exc}",
                tb=_traceback(),
            )
            return
        self.register(obj, record=record)

    def register(
        self,
        plugin: object,
        name: str | None = None,
        *,
        record: PluginRecord | None = None,
    ) -> PluginRecord:
        """Register a plugin object (a module or any object with hookimpls).

        Tests and embedding applications use this directly; failures are recorded like those of
        entry points, and the record is returned.
        """
        if record is None:
            if name is None:
                name = getattr(plugin, "__name__", None) or type(plugin).__name__
            record = PluginRecord(name=name, module=getattr(plugin, "__name__", repr(plugin)))
        if not hasattr(plugin, "MINISTUDIO_PLUGIN_API"):
            self._fail(
                record,
                Status.INCOMPATIBLE,
                f"{record.module} does not set MINISTUDIO_PLUGIN_API (the version of the plugin "
                f"contract it was written for; this ministudio-core speaks {hookspecs.PLUGIN_API})",
                hint=f"add `MINISTUDIO_PLUGIN_API = {hookspecs.PLUGIN_API}` to {record.module} "
                "(see docs/plugin-tutorial.md)",
            )
            return self.records[record.name]
        api = plugin.MINISTUDIO_PLUGIN_API
        if api != hookspecs.PLUGIN_API:
            self._fail(
                record,
                Status.INCOMPATIBLE,
                f"built for plugin API {api!r}, this ministudio-core speaks {hookspecs.PLUGIN_API}",
                hint=f"install a release of {record.distribution or record.name} made for "
                f"ministudio-core {_core_version()}",
            )
            return self.records[record.name]
        try:
            self.pm.register(plugin, name=record.name)
        except Exception as exc:  # noqa: BLE001 - pluggy validation errors
            self._fail(
                record, Status.INCOMPATIBLE, f"registration refused: {exc}", tb=_traceback()
            )
            return self.records[record.name]
        unknown = [
            caller.name
            for caller in (self.pm.get_hookcallers(plugin) or [])
            for impl in caller.get_hookimpls()
            if impl.plugin is plugin and caller.spec is None and not impl.optionalhook
        ]
        if unknown:
            self.pm.unregister(plugin)
            self._fail(
                record,
                Status.INCOMPATIBLE,
                f"implements hooks this core does not know: {', '.join(sorted(set(unknown)))}",
            )
            return self.records[record.name]
        try:
            specs = self._call_registration(plugin)
        except Exception as exc:  # noqa: BLE001
            self.pm.unregister(plugin)
            self._fail(
                record,
                Status.FAILED,
                f"register_providers raised {type(exc).__name__}: {exc}",
                tb=_traceback(),
            )
            return self.records[record.name]
        stamped = [attrs.evolve(s, plugin=record.name) for s in specs]
        for spec in stamped:
            self._specs.setdefault(spec.name, []).append(spec)
        self.records[record.name] = attrs.evolve(
            record, providers=tuple(s.name for s in stamped)
        )
        self._callers.clear()
        return self.records[record.name]

    def unregister(self, name: str) -> None:
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin)
        record = self.records.pop(name, None)
        for provider in record.providers if record else ():
            self._specs[provider] = [s for s in self._specs.get(provider, []) if s.plugin != name]
            if not self._specs[provider]:
                del self._specs[provider]
        self._callers.clear()
        self._resolve_conflicts()

    def _call_registration(self, plugin: object) -> list[ProviderSpec]:
        impls = [i for i in self.pm.hook.register_providers.get_hookimpls() if i.plugin is plugin]
        specs: list[ProviderSpec] = []
        for impl in impls:
            for spec in impl.function() or ():
                if not isinstance(spec, ProviderSpec):
                    raise TypeError(f"yielded {type(spec).__name__}, expected ProviderSpec")
                specs.append(spec)
        return specs

    def _resolve_conflicts(self) -> None:
        self._conflicts = {}
        for name, specs in self._specs.items():
            if len(specs) > 1:
                sources = " and ".join(self._source(s.plugin or "?") for s in specs)
                self._conflicts[name] = f"provider name '{name}' is offered by {sources}"

    def _source(self, plugin: str) -> str:
        rec = self.records.get(plugin)
        if rec is None or rec.distribution is None:
            return f"plugin '{plugin}'" + (" (built in)" if rec and rec.builtin else "")
        return f"{rec.distribution} {rec.version} (plugin '{plugin}')"

    # -- queries -------------------------------------------------------------------------

    def problems(self) -> list[str]:
        out = [
            f"{r.name} ({r.distribution or 'built in'} {r.version or ''}): {r.status}: {r.reason}"
            for r in self.records.values()
            if r.status in (Status.FAILED, Status.INCOMPATIBLE)
        ]
        out += list(self._conflicts.values())
        return out

    def settings_problems(self, settings: Any) -> list[str]:
        """Every key of a ``[providers.NAME]`` table that the installed provider ``NAME`` does
        not declare, or whose value is of the wrong type, located at the file (or layer) that
        set it. Providers that declare no settings, and tables of providers not installed,
        are not checked."""
        out: list[str] = []
        for name, table in sorted(settings.provider_settings().items()):
            specs = self._specs.get(name)
            if not specs or name in self._conflicts or not isinstance(table, Mapping):
                continue
            for key, why in specs[0].setting_problems(table):
                dotted = f"providers.{name}.{key}"
                source = settings.sources.get(dotted) or next(
                    (src for k, src in settings.sources.items() if k.startswith(dotted + ".")),
                    "settings")
                out.append(f"{source}: [providers.{name}] {key}: {why}")
        return out

    def raise_for_problems(self) -> None:
        problems = self.problems()
        if problems:
            raise PluginLoadError(
                "plugins failed to load (strict mode): " + "; ".join(problems),
                hint=f"fix or uninstall them, or unset {ENV_STRICT}",
            )

    def entries(self) -> list[ProviderEntry]:
        """Every provider and every plugin that offers none, for listing."""
        rows: list[ProviderEntry] = []
        for record in self.records.values():
            if record.status != Status.ACTIVE or not record.providers:
                rows.append(ProviderEntry(name=record.name, plugin=record, status=record.status))
                continue
            for provider in record.providers:
                spec = next(s for s in self._specs[provider] if s.plugin == record.name)
                if provider in self._conflicts:
                    rows.append(
                        ProviderEntry(
                            name=provider,
                            plugin=record,
                            status=Status.FAILED,
                            spec=spec,
                            reason="conflict: " + self._conflicts[provider]
                            + f"; disable one with {ENV_DISABLE}=<plugin>",
                        )
                    )
                else:
                    rows.append(
                        ProviderEntry(name=provider, plugin=record, status=Status.ACTIVE, spec=spec)
                    )
        return sorted(rows, key=lambda r: (r.status != Status.ACTIVE, r.name))

    def providers(self, operation: Operation | None = None) -> list[ProviderSpec]:
        """Active provider specs, optionally only those offering ``operation``."""
        out = []
        for name, specs in self._specs.items():
            if name in self._conflicts:
                continue
            if operation is None or operation in specs[0].operations:
                out.append(specs[0])
        return sorted(out, key=lambda s: s.name)

    def get_provider(self, name: str, operation: Operation | None = None) -> ProviderSpec:
        """The active provider called ``name``; the error says why one is not available."""
        if name in self._conflicts:
            raise ProviderNotFoundError(
                f"provider '{name}' is not usable: {self._conflicts[name]}",
                hint=f"disable one of them with {ENV_DISABLE}",
            )
        specs = self._specs.get(name)
        if not specs:
            record = self.records.get(name)
            if record is not None and record.status != Status.ACTIVE:
                err_cls = (
                    IncompatiblePluginError
                    if record.status == Status.INCOMPATIBLE
                    else ProviderNotFoundError
                )
                raise err_cls(
                    f"provider '{name}' is {record.status}: {record.reason}", hint=record.hint
                )
            available = ", ".join(s.name for s in self.providers(operation)) or "none"
            raise ProviderNotFoundError(
                f"no provider named '{name}' is installed (available: {available})",
                hint="see `ministudio providers list`",
            )
        spec = specs[0]
        if operation is not None and operation not in spec.operations:
            ops = ", ".join(sorted(o.value for o in spec.operations))
            raise ProviderNotFoundError(
                f"provider '{name}' does not offer {operation.value} (it offers: {ops})"
            )
        return spec

    def executors(self) -> dict[str, Any]:
        """Every batch executor offered through ``register_executors``, by name.

        Called per plugin, so one raising plugin loses only its own executors (logged); a name
        offered twice keeps the first (core's built-ins come first) and logs the conflict."""
        from ministudio.batch.executors import ExecutorSpec

        out: dict[str, ExecutorSpec] = {}
        for impl in self.pm.hook.register_executors.get_hookimpls():
            name = self.pm.get_name(impl.plugin) or "?"
            try:
                offered: Any = impl.function()
                specs = list(offered or ())
                bad = [s for s in specs if not isinstance(s, ExecutorSpec)]
                if bad:
                    raise TypeError(f"yielded {type(bad[0]).__name__}, expected ExecutorSpec")
            except Exception as exc:  # noqa: BLE001 - isolate the plugin
                log.warning("plugin.executors_failed", plugin=name,
                            reason=f"{type(exc).__name__}: {exc}")
                continue
            for spec in specs:
                if spec.name in out:
                    log.warning("plugin.executor_conflict", executor=spec.name, plugin=name,
                                kept=out[spec.name].plugin)
                    continue
                out[spec.name] = attrs.evolve(spec, plugin=name)
        return out

    # -- routing -------------------------------------------------------------------------

    def caller_for(self, hook: str, provider: str, operation: Operation) -> Any:
        """A hook caller that reaches only the plugin that registered ``provider``."""
        spec = self.get_provider(provider, operation)
        key = (hook, spec.plugin or "")
        if key not in self._callers:
            owner = self.pm.get_plugin(spec.plugin or "")
            others = [p for p in self.pm.get_plugins() if p is not owner]
            self._callers[key] = self.pm.subset_hook_caller(hook, remove_plugins=others)
        return self._callers[key]

    def first_result_caller(self, hook: str) -> Any:
        """The broadcast first-result caller (``tryfirst`` overrides win over core's default)."""
        return getattr(self.pm.hook, hook)


def _requirement_problem(requires: Iterable[str]) -> str:
    """Why the installed core does not satisfy the plugin's requirement on it (or ``""``);
    ``requires``: the plugin distribution's ``Requires-Dist`` lines."""
    reqs = [r for r in requires if r.lower().replace("_", "-").startswith(CORE_DIST)]
    if not reqs:
        return ""
    core = _core_version()
    for raw in reqs:
        m = _REQUIREMENT.match(raw)
        if m is None or (m["marker"] and "extra" in m["marker"]):
            continue  # not a plain requirement, or one for an extra (tests, docs)
        if m["name"].lower().replace("_", "-").replace(".", "-") != CORE_DIST:
            continue
        judged = _judge(m["spec"].strip().strip("()"), core)
        if judged is None:
            continue  # not a valid specifier
        text, holds = judged
        if not holds:
            return f"requires {CORE_DIST}{text}, installed {core}"
    return ""


def _judge(spec: str, version: str) -> tuple[str, bool] | None:
    """``(the specifier as packaging writes it, whether version satisfies it)``; ``None`` for
    an invalid specifier. Plain release numbers on both sides (``>=0.1,<0.2`` against
    ``0.1.0``: what plugins write) are compared here; anything else (pre-releases, ``.*``,
    ``===``, epochs, local versions) goes to :mod:`packaging.specifiers`, whose import and
    regexes cost more than the rest of the requirement check."""
    simple = _release_judge(spec, version)
    if simple is not None:
        return simple
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        parsed = SpecifierSet(spec)
    except InvalidSpecifier:
        return None
    return str(parsed), parsed.contains(version, prereleases=True)


def _release_judge(spec: str, version: str) -> tuple[str, bool] | None:
    """PEP 440 for release-only versions (``1``, ``0.1.0``): ``None`` when either side is
    anything else. Releases compare as zero-padded tuples; ``~=X.Y`` is ``>=X.Y, ==X.*``."""
    if not _RELEASE.fullmatch(version):
        return None
    have = tuple(int(p) for p in version.split("."))
    clauses: set[str] = set()
    holds = True
    for part in spec.split(","):
        if not part.strip():
            continue
        m = _RELEASE_CLAUSE.fullmatch(part)
        if m is None or (m["op"] == "~=" and "." not in m["version"]):
            return None  # packaging decides (and ~=1 is invalid there)
        op, text = m["op"], m["version"]
        want = tuple(int(p) for p in text.split("."))
        clauses.add(op + text)
        holds = holds and _release_holds(op, want, have)
    return ",".join(sorted(clauses)), holds


def _release_holds(op: str, want: tuple[int, ...], have: tuple[int, ...]) -> bool:
    width = max(len(want), len(have))
    w, h = want + (0,) * (width - len(want)), have + (0,) * (width - len(have))
    if op == "~=":
        prefix = want[:-1]
        return h >= w and (have + (0,) * len(prefix))[:len(prefix)] == prefix
    return {"==": h == w, "!=": h != w, "<": h < w, "<=": h <= w, ">": h > w, ">=": h >= w}[op]


#: a PEP 508 requirement without a URL: name, extras, version specifier, marker
_REQUIREMENT = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*"
    r"(?P<spec>[^;@]*?)\s*(?:;(?P<marker>.*))?$")
#: a header line of core metadata, as the email package's parser tells one (RFC 5322 name)
_HEADER = re.compile(r"[\x21-\x39\x3b-\x7e]*:")
_RELEASE = re.compile(r"[0-9]+(?:\.[0-9]+)*")
_RELEASE_CLAUSE = re.compile(r"\s*(?P<op>==|!=|<=|>=|<|>|~=)\s*(?P<version>[0-9]+(?:\.[0-9]+)*)\s*")
