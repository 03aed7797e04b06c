"""Plugin discovery reads dist-info folders itself (no importlib.metadata import on a listing):
it must find exactly what importlib.metadata finds, in the same order, and hand anything less
plain (zips on sys.path, egg folders, other distribution finders) to importlib.metadata."""

from __future__ import annotations

import importlib.metadata as md
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import pytest
from ministudio import _entrypoints
from ministudio.testing.distributions import add_distribution


def _where(dist: Any) -> str:
    """A distribution's folder, ours or importlib.metadata's (which the reader hands over to
    when another distribution finder is installed, as the importlib_metadata backport does
    when a library imports it)."""
    return str(getattr(dist, "_path", None) or dist.path)


def _seen(dists: Any) -> list[tuple[str, list[tuple[str, str, str]]]]:
    return [(_where(d), [(ep.name, ep.group, ep.value) for ep in d.entry_points]) for d in dists]


def test_same_distributions_and_entry_points_as_importlib_metadata_here() -> None:
    ours, theirs = _seen(_entrypoints.distributions()), _seen(md.distributions())
    assert ours == theirs
    groups = {g for _, eps in ours for _, g, _ in eps}
    assert {"ministudio", "console_scripts"} <= groups
    assert len(ours) > 20


def _compare_in_child(paths: list[Path], extra: str = "") -> list[Any]:
    """Run both readers in a fresh interpreter whose sys.path starts with ``paths``; return
    ``[ours, theirs, which-reader-ours-used]``."""
    head = f"import sys, json\nsys.path[:0] = {[str(p) for p in paths]!r}\n"
    code = head + extra + textwrap.dedent("""
        import importlib.metadata as md
        from ministudio import _entrypoints
        def seen(ds):
            return [[str(getattr(d, "_path", None) or d.path),
                     [[e.name, e.group, e.value] for e in d.entry_points]] for d in ds]
        ours = list(_entrypoints.distributions())
        kind = sorted({type(d).__module__ for d in ours})
        print(json.dumps([seen(ours), seen(md.distributions()), kind]))
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True, env=env)
    import json

    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _odd_site(root: Path) -> Path:
    site = root / "site"
    add_distribution(site, "ms-b", "ms_b", "")
    add_distribution(site, "ms-a", "ms_a", "")
    add_distribution(site, "ms_a", "ms_a2", "", version="2.0.0")  # the same name twice
    info = site / "Ms.Odd-3.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Name: Ms.Odd\nVersion: 3.0\n")
    (info / "entry_points.txt").write_text(
        "stray = before.any:group\n\n# a comment\n[ministudio]\n  odd =  ms_odd : thing.sub "
        "[extra1, extra2]  \n[console_scripts]\nms-odd=ms_odd:main\n")
    egg = site / "ms_egg-1.0-py3.11.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Name: ms-egg\nVersion: 1.0\n")
    (egg / "entry_points.txt").write_text("[ministudio]\negg = ms_egg\n")
    (site / "flat-1.0.egg-info").write_text("Name: flat\nVersion: 1.0\n")  # a file, no eps
    return site


def test_odd_folders_read_as_importlib_metadata_reads_them(tmp_path: Path) -> None:
    site = _odd_site(tmp_path)
    second = tmp_path / "second"
    add_distribution(second, "ms-b", "ms_b", "", version="9.0")  # found again, later
    ours, theirs, kind = _compare_in_child([site, tmp_path / "missing", second])
    assert ours == theirs
    assert kind == ["ministudio._entrypoints"]  # read without importlib.metadata
    names = [Path(p).name for p, _ in ours]
    assert names.index("ms_b-1.0.0.dist-info") < names.index("ms_b-9.0.dist-info")
    odd = next(eps for p, eps in ours if p.endswith("Ms.Odd-3.0.dist-info"))
    assert odd == [["odd", "ministudio", "ms_odd : thing.sub [extra1, extra2]"],
                   ["ms-odd", "console_scripts", "ms_odd:main"]]


@pytest.mark.parametrize("odd", ["zip", "egg", "finder"])
def test_anything_less_plain_goes_to_importlib_metadata(tmp_path: Path, odd: str) -> None:
    site = _odd_site(tmp_path)
    paths, extra = [site], ""
    if odd == "zip":
        archive = tmp_path / "plugins.zip"
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("ms_zip-1.0.dist-info/METADATA", "Name: ms-zip\nVersion: 1.0\n")
            z.writestr("ms_zip-1.0.dist-info/entry_points.txt", "[ministudio]\nzipped = ms_zip\n")
        paths.append(archive)
    elif odd == "egg":
        egg = tmp_path / "ms_old-1.0-py3.11.egg"
        (egg / "EGG-INFO").mkdir(parents=True)
        (egg / "EGG-INFO" / "PKG-INFO").write_text("Name: ms-old\nVersion: 1.0\n")
        (egg / "EGG-INFO" / "entry_points.txt").write_text("[ministudio]\nold = ms_old\n")
        paths.append(egg)
    else:  # a meta-path finder that finds distributions of its own (PEX, zipapps)
        info = str(site / "ms_b-1.0.0.dist-info")
        extra = textwrap.dedent(f"""
            import importlib.metadata as md
            class Finder(md.DistributionFinder):
                def find_spec(self, *a, **k):
                    return None
                def find_distributions(self, context=md.DistributionFinder.Context()):
                    return iter([md.PathDistribution(__import__("pathlib").Path({info!r}))])
            sys.meta_path.append(Finder())
        """)
    ours, theirs, kind = _compare_in_child(paths, extra)
    assert ours == theirs
    assert kind == ["importlib.metadata"]
    if odd != "finder":
        assert any(n in ("zipped", "old") for _, eps in ours for n, _, _ in eps)


def test_one_distribution_by_name_as_importlib_metadata_finds_it() -> None:
    for name in ("ministudio-core", "Ministudio_Core", "ministudio.core", "pluggy", "attrs"):
        ours = _entrypoints.distribution(name)
        assert ours is not None, name
        assert Path(_where(ours)) == Path(_where(md.distribution(name))), name
    assert _entrypoints.distribution("not-a-distribution-xyz") is None


def test_an_entry_point_loads_a_module_or_a_dotted_attribute() -> None:
    ep = _entrypoints._EntryPoint("x", "os.path : join [extra]", "g")
    assert ep.load() is os.path.join
    assert _entrypoints._EntryPoint("m", "textwrap", "g").load() is textwrap
    with pytest.raises(ValueError, match="malformed"):
        _entrypoints._EntryPoint("bad", "not a value!", "g").load()


def test_a_broken_entry_points_file_fails_only_that_plugin(tmp_path: Path) -> None:
    """A line without '=' inside a group: importlib.metadata raises on it too (TypeError);
    discovery reports the distribution and goes on."""
    site = tmp_path / "site"
    add_distribution(site, "ms-good", "ms_good", textwrap.dedent("""
        from ministudio import ClipModel, Operation, ProviderSpec, hookimpl
        MINISTUDIO_PLUGIN_API = 1
        @hookimpl
        def register_providers():
            yield ProviderSpec(name="goodcam", operations={Operation.CLIP},
                               clip_models=(ClipModel(id="m1"),))
    """))
    info = add_distribution(site, "ms-garbled", "ms_garbled", "")
    (info / "entry_points.txt").write_text("[ministudio]\nno equals sign here\n")
    with pytest.raises(TypeError):
        list(md.PathDistribution(info).entry_points)
    with pytest.raises(ValueError, match="no equals sign here"):
        list(_entrypoints._PathDistribution(str(info)).entry_points)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINISTUDIO_")}

    def listing(**extra: str) -> dict[str, Any]:
        out = subprocess.run(
            [sys.executable, "-m", "ministudio", "providers", "list", "--json"],
            capture_output=True, text=True, timeout=120,
            env={**env, "PYTHONPATH": str(site), **extra})
        assert out.returncode == 0, out.stderr
        import json

        return {r["name"]: r for r in json.loads(out.stdout)}

    rows = listing()
    assert rows["goodcam"]["status"] == "active"
    assert rows["ms-garbled"]["status"] == "failed"
    assert rows["ms-garbled"]["note"] == (
        "its entry_points.txt cannot be read: expected 'name = value' in [ministudio], got "
        "'no equals sign here'")
    assert "MINISTUDIO_DISABLE_PLUGINS=ms-garbled" in rows["ms-garbled"]["hint"]
    rows = listing(MINISTUDIO_DISABLE_PLUGINS="ms-garbled")  # the hint's advice works
    assert rows["ms-garbled"]["status"] == "disabled"
    assert rows["goodcam"]["status"] == "active"


def test_a_folder_read_again_once_it_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    add_distribution(site, "ms-first", "ms_first", "")
    monkeypatch.syspath_prepend(str(site))

    def here() -> list[str]:
        return _seen_names(_entrypoints.distributions(), site)

    assert here() == ["ms_first-1.0.0.dist-info"]
    add_distribution(site, "ms-second", "ms_second", "")
    stat = site.stat()  # a coarse clock can give the same mtime twice within a few ms
    os.utime(site, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert here() == ["ms_first-1.0.0.dist-info", "ms_second-1.0.0.dist-info"]
    assert here() == _seen_names(md.distributions(), site)


def _seen_names(dists: Any, site: Path) -> list[str]:
    return [Path(_where(d)).name for d in dists if _where(d).startswith(str(site))]


def test_a_broken_entry_points_file_read_by_importlib_metadata_fails_only_that_plugin(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same when another distribution finder is installed and importlib.metadata reads
    the folders (it raises TypeError on the line)."""
    from ministudio.plugins import PluginManager, Status

    info = add_distribution(tmp_path / "site", "ms-garbled", "ms_garbled", "")
    (info / "entry_points.txt").write_text("[ministudio]\nno equals sign here\n")

    class Finder(md.DistributionFinder):
        def find_spec(self, *args: Any, **kwargs: Any) -> None:
            return None

        def find_distributions(self, context: Any = None) -> Any:
            return iter(())

    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder()])
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert not _entrypoints._plain()
    manager = PluginManager(env={}, strict=False)
    record = manager.records["ms-garbled"]
    assert record.status == Status.FAILED
    assert record.reason.startswith("its entry_points.txt cannot be read")
    assert manager.records["core"].status == Status.ACTIVE
