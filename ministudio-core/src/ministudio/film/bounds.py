"""Limits on what a film file may make the loader do, and a YAML reader that enforces them.

A film is a few kilobytes of text, but YAML aliases can make 3 KB expand to billions of
values, and any format can nest deeper than Python's recursion limit. Everything here is
refused *while reading*, with the line (YAML) or key path (JSON, TOML) of the offending value,
before the data reaches the structuring code:

- the file's size (:data:`MAX_FILE_BYTES`), checked with ``stat`` before it is read;
- nesting depth (:data:`MAX_DEPTH`);
- the number of values after expanding aliases (:data:`MAX_VALUES`), computed bottom-up as
  the YAML composer builds nodes, so an alias bomb costs as much as its text;
- aliases that contain themselves (recursive structures) and the number of aliases;
- the length of any text value or key (:data:`MAX_TEXT`);
- keys that are not text (``1:``, ``null:``, ``yes:`` in YAML).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from yaml.composer import Composer, ComposerError
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

__all__ = [
    "MAX_ALIASES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_TEXT",
    "MAX_VALUES",
    "BoundedYamlLoader",
    "LimitError",
    "bounded_copy",
    "deep_line",
]

#: a film file larger than this is refused unread (the largest example is under 10 KiB)
MAX_FILE_BYTES = 256 * 1024
#: mappings and lists nested deeper than this are refused (a film needs about 8)
MAX_DEPTH = 32
#: values in the document after expanding aliases
MAX_VALUES = 30_000
#: ``*alias`` uses in one document
MAX_ALIASES = 1_000
#: characters in one text value or key
MAX_TEXT = 20_000

_STR_TAG = "tag:yaml.org,2002:str"


def _describe_key(node: ScalarNode) -> str:
    tag = node.tag.rsplit(":", 1)[-1]
    kinds = {"int": "a whole number", "float": "a number", "bool": "a yes/no value",
             "null": "null", "timestamp": "a date"}
    return f"{kinds.get(tag, tag)} ({node.value!r})"


try:  # libyaml parses about 20x faster; composing stays in Python, where the limits are
    from yaml._yaml import CParser

    _PARSING: tuple[type, ...] = (CParser,)
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    _PARSING = (Reader, Scanner, Parser)


class LimitError(ComposerError):
    """A document beyond the limits (not a syntax error)."""


class BoundedYamlLoader(Composer, *_PARSING, SafeConstructor, Resolver):  # type: ignore[misc]
    """PyYAML's safe loader with the limits above enforced while composing.

    Limit breaches raise :class:`LimitError` (a :class:`yaml.YAMLError`) with the offending
    mark, so the caller reports them like any other YAML error (``film.yaml:LINE: what``).
    Keys that are not text are collected in :attr:`key_problems` as ``(line, message)``.
    """

    def __init__(self, stream: str) -> None:
        if len(_PARSING) == 1:
            CParser.__init__(self, stream)
        else:  # pragma: no cover
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._sizes: dict[int, int] = {}
        self._keep: list[Node] = []  # keep nodes alive so ids stay unique
        self._depth = 0
        self._aliases = 0
        self.key_problems: list[tuple[int, str]] = []

    def _refuse(self, mark: Any, problem: str) -> None:
        raise LimitError(None, None, problem, mark)

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)  # type: ignore[union-attr]
            if target is not None:
                self._aliases += 1
                if self._aliases > MAX_ALIASES:
                    self._refuse(event.start_mark, f"more than {MAX_ALIASES} aliases (*name)")
                if id(target) not in self._sizes:
                    self._refuse(event.start_mark, f"alias *{event.anchor} is inside the value "  # type: ignore[union-attr]
                                 "it refers to (a recursive structure)")
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        self._depth += 1
        if self._depth > MAX_DEPTH:
            self._refuse(self.peek_event().start_mark,
                         f"nested deeper than {MAX_DEPTH} levels")
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._measure(node)
        return node  # type: ignore[no-any-return]

    def _measure(self, node: Node) -> None:
        if isinstance(node, ScalarNode):
            size = 1
            if len(node.value) > MAX_TEXT:
                self._refuse(node.start_mark, f"a text of {len(node.value)} characters "
                             f"(at most {MAX_TEXT})")
        elif isinstance(node, SequenceNode):
            size = 1 + sum(self._sizes[id(c)] for c in node.value)
        else:
            assert isinstance(node, MappingNode)
            size = 1
            for k, v in node.value:
                size += self._sizes[id(k)] + self._sizes[id(v)]
                if isinstance(k, ScalarNode) and k.tag != _STR_TAG:
                    self.key_problems.append((
                        k.start_mark.line + 1,
                        f"a key must be text, not {_describe_key(k)}; put it in quotes "
                        "if you meant text",
                    ))
        if size > MAX_VALUES:
            self._refuse(node.start_mark, f"expands to more than {MAX_VALUES} values "
                         "(each *alias repeats its anchor's whole value)")
        self._sizes[id(node)] = size
        self._keep.append(node)


def _fmt(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def bounded_copy(data: Any, locate: Callable[[str], str]) -> tuple[Any, list[str]]:
    """A copy of parsed data within the limits (for formats without a bounded reader, and
    keys that are not text in any format), and one located line per problem. Keys that are
    not text or too long are left out of the copy; ``None`` when the data is too deep or too
    large to use at all."""
    problems: list[str] = []
    count = 0

    def walk(node: Any, path: tuple[Any, ...]) -> Any:
        nonlocal count
        count += 1
        if count > MAX_VALUES:
            problems.append(f"{locate(_fmt(path))}: the film has more than {MAX_VALUES} values")
            raise _Stop
        if len(path) > MAX_DEPTH:
            problems.append(f"{locate(_fmt(path))}: nested deeper than {MAX_DEPTH} levels")
            raise _Stop
        if isinstance(node, str) and len(node) > MAX_TEXT:
            problems.append(f"{locate(_fmt(path))}: a text of {len(node)} characters "
                            f"(at most {MAX_TEXT})")
            return ""
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if not isinstance(key, str):
                    continue  # the YAML reader reported it with its line
                if len(key) > MAX_TEXT:
                    problems.append(f"{locate(_fmt(path))}: a key of {len(key)} characters "
                                    f"(at most {MAX_TEXT})")
                    continue
                out[key] = walk(value, (*path, key))
            return out
        if isinstance(node, list):
            return [walk(item, (*path, i)) for i, item in enumerate(node)]
        return node

    try:
        return walk(data, ()), problems
    except _Stop:
        return None, problems


class _Stop(Exception):
    pass


_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"' + r"|'[^'\n]*'|#[^\n]*|[\[\]{}\n]")


def deep_line(text: str, limit: int = MAX_DEPTH) -> int | None:
    """The 1-based line where brackets first nest deeper than ``limit`` in JSON or TOML text
    (strings and comments skipped; used only to locate a document too deep to parse)."""
    depth, line = 0, 1
    for match in _TOKEN.finditer(text):
        ch = match.group()
        if ch == "\n":
            line += 1
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return line
        elif ch in "]}":
            depth -= 1
    return None
