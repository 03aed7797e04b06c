"""Core's hook discovery on plugin modules (a fast pass over names that cannot be hooks)
finds exactly what pluggy finds: on every plugin module installed here and on a module with
every kind of attribute."""

from __future__ import annotations

import functools
import importlib
import importlib.metadata as md
import types

import pluggy
from ministudio import hookspecs
from ministudio.hookspecs import hookimpl
from ministudio.plugins import BUILTIN_PLUGINS, _Pluggy


def _found(manager_cls: type[pluggy.PluginManager], module: types.ModuleType) -> list[tuple]:
    pm = manager_cls(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(module)
    return sorted((caller.name, impl.function.__qualname__, impl.tryfirst, impl.trylast,
                   impl.wrapper, impl.hookwrapper)
                  for caller in pm.get_hookcallers(module) or ()
                  for impl in caller.get_hookimpls())


class _Holder:
    @hookimpl
    def register_providers(self):  # type: ignore[no-untyped-def]
        return []


def _odd_module() -> types.ModuleType:
    mod = types.ModuleType("odd_plugin")

    @hookimpl(tryfirst=True)
    def generate_clip(request, context):  # type: ignore[no-untyped-def]
        return None

    def synthesize_speech(request, context):  # type: ignore[no-untyped-def]  # no marker
        return None

    def extract_anchor_frame(request, context):  # type: ignore[no-untyped-def]
        return None

    extract_anchor_frame.ministudio_impl = "not a dict"  # type: ignore[attr-defined]
    mod.__dict__.update(
        generate_clip=generate_clip, synthesize_speech=synthesize_speech,
        extract_anchor_frame=extract_anchor_frame,
        register_providers=_Holder().register_providers,  # a bound method
        score_identity=staticmethod(hookimpl(lambda request, context: None)),
        draft_film=functools.partial(lambda request, context: None),
        check_credentials=hookimpl, MINISTUDIO_PLUGIN_API=1, some_class=_Holder, text="x",
        builtin=len, submodule=types,
    )
    return mod


def test_same_hooks_as_pluggy_on_odd_attributes() -> None:
    mod = _odd_module()
    ours = _found(_Pluggy, mod)
    assert ours == _found(pluggy.PluginManager, mod)
    assert {name for name, *_ in ours} >= {"generate_clip", "register_providers"}


def test_same_hooks_as_pluggy_on_every_installed_plugin_module() -> None:
    modules = [module for _, module in BUILTIN_PLUGINS] + sorted(
        {ep.value for ep in md.entry_points(group="ministudio")})
    for name in modules:
        module = importlib.import_module(name)
        assert _found(_Pluggy, module) == _found(pluggy.PluginManager, module), name
