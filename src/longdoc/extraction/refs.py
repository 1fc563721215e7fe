"""A caller's JSON schema with its local ``$ref``s inlined, as extraction reads each field's schema
on its own. A recursive one is refused (extraction needs a schema of finite depth), and so is one
its references multiply or nest too far.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from longdoc.core.errors import InvalidRequest

MAX_INLINED_NODES = 10_000  # a schema whose $refs multiply it past this is refused
MAX_DEPTH = 64  # and one nested deeper (no answer an extraction merges is that deep)
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples"})  # values, not schemas
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas"})
_DEFINITIONS = frozenset({"$defs", "definitions"})


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with each local ``$ref`` replaced by what it points at, and no definitions left.

    Raises InvalidRequest for a recursive ``$ref`` (extraction needs a schema of finite depth),
    one pointing outside the schema or nowhere, and a schema nested or multiplied too far."""
    remaining = MAX_INLINED_NODES

    def inline(node: Any, expanding: tuple[str, ...], depth: int) -> Any:
        nonlocal remaining
        remaining -= 1
        if remaining < 0:
            raise _ref_error(f"its $refs expand it past {MAX_INLINED_NODES:,} schemas")
        if depth > MAX_DEPTH:
            raise _ref_error(f"it nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, list):
            return [inline(item, expanding, depth + 1) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DATA_KEYWORDS:
                out[key] = value
            elif key in _SCHEMA_MAPS and isinstance(value, dict):  # names → schemas: a name may be "$ref"
                out[key] = {name: inline(sub, expanding, depth + 1) for name, sub in value.items()}
            elif key not in _DEFINITIONS and key != "$ref":
                out[key] = inline(value, expanding, depth + 1)
        ref = node.get("$ref")
        if ref is None:
            return out
        if ref in expanding:
            raise _ref_error(f"$ref {ref!r} is recursive; extraction needs a schema of finite depth")
        target = inline(_resolve(ref, schema), (*expanding, ref), depth + 1)
        return {**target, **out} if isinstance(target, dict) else target

    inlined = inline(schema, (), 0)
    return inlined if isinstance(inlined, dict) else {}


def _resolve(ref: Any, root: dict[str, Any]) -> Any:
    """What a local JSON pointer ``#/…`` points at in ``root``."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise _ref_error(f"$ref {ref!r} points outside the schema; only local references (#/…) are read")
    node: Any = root
    for token in filter(None, unquote(ref[1:]).split("/")):
        key = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise _ref_error(f"$ref {ref!r} points at nothing in the schema")
    return node


def _ref_error(problem: str) -> InvalidRequest:
    return InvalidRequest(f"the JSON schema cannot be used: {problem}", param="response_format")
