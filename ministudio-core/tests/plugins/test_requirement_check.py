"""The plugin metadata phase reads what importlib.metadata and packaging would say without
them doing the work: the header fields of every installed distribution as
``Distribution.metadata`` gives them, and release-only specifiers judged as packaging judges
them (the cases it hands over included). A listing then imports neither packaging nor the
email parser."""

from __future__ import annotations

import importlib.metadata as md
import itertools

import pytest
from ministudio import plugins
from ministudio.plugins import _headers, _judge, _release_judge
from packaging.specifiers import InvalidSpecifier, SpecifierSet

SPECS = [
    ">=0.1,<0.2", "<0.2,>=0.1", " >= 0.1 , < 0.2 ", ">=0.1", "<0.1", "<=0.1", ">0.1", "==0.1",
    "==0.1.0", "!=0.1", "!=0.1.0", "~=0.1", "~=0.1.0", "~=1.4.5", "~=0.2", ">=0.1,!=0.1.1",
    ">=9.0", ">=0.1,<0.2,<0.3", ">=0.1,>=0.1", "", "==0.1.*", "!=0.*", ">=0.1rc1", "<0.2.dev0",
    "===0.1.0", ">=1!0.1", "~=1", ">=0.1+local", "=>0.1", ">=abc", "<0.2,", "0.1",
]
VERSIONS = ["0.1.0", "0.1", "0.1.1", "0.2", "0.2.0", "1.4.5", "1.4.9", "1.5", "0.0.9", "9.0",
            "0.1.0rc1", "0.1.0.post1", "1!0.1"]


def _packaging(spec: str, version: str) -> tuple[str, bool] | None:
    try:
        parsed = SpecifierSet(spec)
    except InvalidSpecifier:
        return None
    return str(parsed), parsed.contains(version, prereleases=True)


@pytest.mark.parametrize(("spec", "version"), list(itertools.product(SPECS, VERSIONS)))
def test_judge_agrees_with_packaging(spec: str, version: str) -> None:
    assert _judge(spec, version) == _packaging(spec, version)


def test_plain_releases_are_judged_without_packaging() -> None:
    assert _release_judge(">=0.1,<0.2", "0.1.0") == ("<0.2,>=0.1", True)
    assert _release_judge("~=0.2", "0.1.0") == ("~=0.2", False)
    for handed_over in (("==0.1.*", "0.1.0"), (">=0.1rc1", "0.1.0"), (">=0.1", "0.1.0rc1"),
                        ("~=1", "1.0")):
        assert _release_judge(*handed_over) is None


def test_requirement_problem_names_the_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugins, "_core_version", lambda: "0.1.0")
    ok = ["httpx>=0.27", "ministudio-core<0.2,>=0.1", "ministudio-core[testing]; extra == 'test'"]
    assert plugins._requirement_problem(ok) == ""
    assert plugins._requirement_problem(["ministudio_core (>=9.0)"]) == (
        "requires ministudio-core>=9.0, installed 0.1.0")
    assert plugins._requirement_problem(["ministudio-core>=0.1rc1,<0.1"]) == (
        "requires ministudio-core<0.1,>=0.1rc1, installed 0.1.0")
    assert plugins._requirement_problem(["ministudio-core>=abc"]) == ""  # invalid: not judged


def test_headers_match_importlib_metadata_for_every_installed_distribution() -> None:
    checked = 0
    for dist in md.distributions():
        meta, ours = dist.metadata, _headers(dist)
        names = {k.lower() for k in meta.keys()} - {"description"}  # the body, not a header
        assert names == set(ours) - {"description"}, meta["Name"]
        for name in names:
            values = meta.get_all(name) or []
            if any("\n" in v for v in values):
                continue  # folded (a licence text): importlib re-indents it, we never read one
            assert ours[name] == values, (meta["Name"], name)
            checked += 1
    assert checked > 100  # this environment has core and its plugins installed at least
