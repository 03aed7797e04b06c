"""The hook reference documents every hook with its exact signature (datasette's docs contract)."""

import inspect
from pathlib import Path

from ministudio import hookspecs

DOCS = Path(__file__).resolve().parents[3] / "docs" / "hooks.md"


def test_every_hook_has_a_heading_with_its_signature() -> None:
    text = DOCS.read_text()
    hooks = [
        (name, fn) for name, fn in vars(hookspecs).items()
        if callable(fn) and hasattr(fn, "ministudio_spec")
    ]
    assert {n for n, _ in hooks} >= {"generate_clip", "synthesize_speech",
                                      "extract_anchor_frame", "score_identity",
                                      "register_providers"}
    for name, fn in hooks:
        args = ", ".join(inspect.signature(fn).parameters)
        assert f"## {name}({args})" in text, f"docs/hooks.md lacks '## {name}({args})'"
        assert "Example::" in (fn.__doc__ or ""), f"{name} docstring has no example"
