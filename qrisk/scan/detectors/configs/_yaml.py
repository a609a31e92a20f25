"""YAML (and JSON) read as a node tree with line numbers, for detectors that report where a
setting is. Composition only: no object is constructed, so custom tags (CloudFormation ``!Ref``)
are harmless, and aliases are walked once (no "billion laughs" blow-up)."""

from __future__ import annotations

from collections.abc import Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_DEPTH = 64
# libyaml's composer is ≈15x faster than the pure-Python one and gives the same nodes and marks.
_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Several detectors read the same YAML file (the engine hands each the same bytes object): the
# last file's nodes are kept for the next detector instead of being parsed again.
_last: tuple[bytes, bool, list[Node] | Exception] | None = None


def compose_documents(data: bytes, *, json_like: bool = False) -> list[Node]:
    """Every document of a YAML stream (or a JSON file); raises ``yaml.YAMLError`` when malformed."""
    global _last
    cached = _last
    if cached is not None and cached[0] is data and cached[1] == json_like:
        if isinstance(cached[2], Exception):
            raise cached[2]
        return cached[2]
    try:
        docs = _compose(data, json_like)
    except Exception as exc:
        _last = (data, json_like, exc)
        raise
    _last = (data, json_like, docs)
    return docs


def _compose(data: bytes, json_like: bool) -> list[Node]:
    text = data.decode("utf-8", "replace")
    if json_like:
        # JSON allows tabs where YAML does not; spaces keep every line and column in place.
        text = text.replace("\t", " ")
    loader = _LOADER(text)
    try:
        docs: list[Node] = []
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                docs.append(node)
        return docs
    finally:
        loader.dispose()


def line(node: Node) -> int:
    """1-based line where ``node`` starts."""
    return node.start_mark.line + 1


def scalar(node: Node | None) -> str | None:
    """The text of a scalar node, else None."""
    return node.value if isinstance(node, ScalarNode) else None


def get(mapping: Node | None, *keys: str) -> Node | None:
    """The value node of the first of ``keys`` present in a mapping (keys compared exactly)."""
    if not isinstance(mapping, MappingNode):
        return None
    for want in keys:
        for k, v in mapping.value:
            if isinstance(k, ScalarNode) and k.value == want:
                return v
    return None


def items(mapping: Node | None) -> Iterator[tuple[str, Node, Node]]:
    """(key text, key node, value node) of a mapping's scalar keys."""
    if isinstance(mapping, MappingNode):
        for k, v in mapping.value:
            if isinstance(k, ScalarNode):
                yield k.value, k, v


def strings(node: Node | None) -> Iterator[tuple[str, int]]:
    """(text, line) of a scalar or of each scalar in a sequence."""
    if isinstance(node, ScalarNode):
        yield node.value, line(node)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            if isinstance(item, ScalarNode):
                yield item.value, line(item)


def walk(node: Node) -> Iterator[tuple[tuple[str, ...], MappingNode]]:
    """Every mapping in the tree with the key path leading to it (sequence items add ``[]``)."""
    seen: set[int] = set()
    stack: list[tuple[Node, tuple[str, ...]]] = [(node, ())]
    while stack:
        cur, path = stack.pop()
        if id(cur) in seen or len(path) > MAX_DEPTH:
            continue
        seen.add(id(cur))
        if isinstance(cur, MappingNode):
            yield path, cur
            for k, v in reversed(cur.value):
                key = k.value if isinstance(k, ScalarNode) else "?"
                stack.append((v, (*path, key)))
        elif isinstance(cur, SequenceNode):
            for item in reversed(cur.value):
                stack.append((item, (*path, "[]")))
