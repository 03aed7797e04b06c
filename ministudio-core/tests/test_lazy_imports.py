"""``ministudio providers list`` stays a light cold start: it imports the provider
declarations and nothing a listing never uses (request records, the job kit, parsers the
metadata phase does without, media and HTTP libraries), with every installed plugin or none.
The public API is unchanged: ``from ministudio import X`` works for every exported name.
(Modules only: speed targets live in benchmarks/providers_list_bench.py.)"""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

#: never needed to list providers (a plugin's hook module imports them inside its hooks)
NOT_FOR_A_LISTING = (
    "ministudio.requests", "ministudio.context", "ministudio.jobs", "ministudio.converter",
    "ministudio.pricing", "ministudio.dispatch", "ministudio.engine", "ministudio.media",
    "ministudio.film", "ministudio_local.face.embed", "ministudio_local.face.score",
    "ministudio_local.diffusers.frames", "ministudio_local.diffusers.options",
    "ministudio_local.animatic", "ministudio_vertex.auth", "ministudio_hf.generate",
    "packaging", "importlib.metadata", "email", "zipfile", "csv", "tomllib", "hashlib", "asyncio", "json", "structlog",
    "rich", "cattrs", "httpx", "numpy", "PIL", "av", "dlib", "torch",
)


def _listing_imports(*args: str, **env: str) -> list[str]:
    code = ("import sys\nfrom ministudio.cli import main\n"
            f"sys.argv = ['ministudio', 'providers', 'list', *{list(args)!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print([m for m in {NOT_FOR_A_LISTING!r} if m in sys.modules])")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MINISTUDIO_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True, env={**full_env, **env})
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_listing_with_every_installed_plugin_imports_nothing_it_does_not_need() -> None:
    assert _listing_imports() == []


def test_listing_core_alone_imports_nothing_it_does_not_need() -> None:
    assert _listing_imports(MINISTUDIO_LOAD_PLUGINS="") == []


def test_every_public_name_still_imports_from_the_package() -> None:
    code = ("import ministudio, ministudio.draft.plugin, sys\n"
            "missing = [n for n in ministudio.__all__ if not hasattr(ministudio, n)]\n"
            "from ministudio import *  # noqa\n"
            "print(missing, callable(ministudio.draft), "
            "set(ministudio.__all__) <= set(dir(ministudio)), "
            "ClipRequest.__module__, ProviderSpec.__module__, hookimpl.project_name)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.split() == ["[]", "True", "True", "ministudio.requests",
                                  "ministudio.capabilities", "ministudio"]


def test_submodules_the_package_imported_before_are_still_attributes() -> None:
    code = ("import ministudio\n"
            "print(ministudio.requests.ClipRequest.__name__, ministudio.errors.ConfigError.__name__,"
            " ministudio.capabilities.ProviderSpec.__name__, ministudio.context.CallContext.__name__,"
            " ministudio.hookspecs.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.split() == ["ClipRequest", "ConfigError", "ProviderSpec", "CallContext",
                                  "ministudio.hookspecs"]


def test_an_unknown_name_is_an_attribute_error() -> None:
    import ministudio

    with pytest.raises(AttributeError, match="no attribute 'NotAThing'"):
        ministudio.NotAThing  # noqa: B018
