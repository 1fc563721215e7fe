"""Checking extracted JSON against a schema, and keeping what can be kept."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from longdoc.extraction.merge import Item
from longdoc.inference.json_guard import schema_problem
from longdoc.inference.schema_instance import minimal_instance


def validation_problem(value: Any, schema: dict[str, Any]) -> str | None:
    """None when ``value`` is valid against ``schema``; else why not."""
    return schema_problem(json.dumps(value, ensure_ascii=False), schema)[1]


def salvage_array(text: str, schema: dict[str, Any]) -> tuple[Any, str | None]:
    """The complete items of a JSON array cut short (``max_tokens``): ``[{…}, {…}, {…`` → ``[{…}, {…}]``."""
    stripped = text.strip()
    if not stripped.startswith("["):
        return None, "not a JSON array"
    cut = _last_cut(stripped, 1)
    if cut is None:
        return [], None
    return schema_problem(stripped[: cut[0]] + "]", schema)


def salvage_object(text: str, schema: dict[str, Any]) -> tuple[Any, str | None]:
    """What a JSON object cut short (``max_tokens``, often a small model repeating one list
    element or one phrase) holds up to its last complete field, list element or nested object,
    closed there; the fields it never reached are null. ``{"name": "A", "jobs": [{…}, {…}, {"ti``
    → ``{"name": "A", "jobs": [{…}, {…}], "education": null}``; ``{"name": "A", "summary": "B, B, B``
    → ``{"name": "A", "summary": null}``."""
    stripped = text.strip()
    cut = _last_cut(stripped, 2) if stripped.startswith("{") else None
    if cut is None:
        return None, "not a JSON object"
    end, still_open = cut
    closed = stripped[:end] + "".join("]" if c == "[" else "}" for c in reversed(still_open))
    value, problem = schema_problem(closed, {"type": "object"})
    if problem is not None:
        return None, problem
    for name in schema.get("required", []):
        value.setdefault(name, None)
    return schema_problem(json.dumps(value, ensure_ascii=False), schema)


# where a comma ends a value that may be kept: an array's element, the top object's field, an
# element of a list the top object holds
_SEPARATED = frozenset({"[", "{", "{["})


def _last_cut(text: str, most_open: int) -> tuple[int, str] | None:
    """Where the last value ends that leaves between one and ``most_open`` brackets open (the
    offset after it) and those brackets — a closing bracket, or a comma after an element or a
    field (``_SEPARATED``); None if none ends."""
    stack: list[str] = []
    in_string, escaped = False, False
    cut: tuple[int, str] | None = None
    for i, c in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            stack.append(c)
        elif c in "]}" and stack:
            stack.pop()
            if 1 <= len(stack) <= most_open:
                cut = (i + 1, "".join(stack))
        elif c == "," and len(stack) <= most_open and "".join(stack) in _SEPARATED:
            cut = (i, "".join(stack))  # the field or list element before it is complete
    return cut


def valid_items(items: Sequence[Item], array_schema: dict[str, Any]) -> tuple[list[Item], int]:
    """The items valid against the array's item schema, and how many were not."""
    item_schema = {**array_schema.get("items", {})}
    if "$defs" in array_schema:
        item_schema["$defs"] = array_schema["$defs"]
    kept = [item for item in items if validation_problem(item.value, item_schema) is None]
    return kept, len(items) - len(kept)


def without_strays(items: Sequence[Item], item_schema: dict[str, Any]) -> tuple[list[Item], int]:
    """The items that give every value the schema needs which most of their list gives (three at
    least, three in four): one that lacks such a value is a line read as an item — a letterhead,
    a section's title — not one the list was asked for. Also how many were left out."""
    needed = needed_fields(item_schema)
    given = [
        name for name in needed if sum(_given(item, name) for item in items) >= max(3, 0.75 * len(items))
    ]
    kept = [item for item in items if all(_given(item, name) for name in given)]
    return kept, len(items) - len(kept)


def _given(item: Item, name: str) -> bool:
    return isinstance(item.value, dict) and item.value.get(name) not in (None, "", [])


def needed_fields(schema: dict[str, Any]) -> frozenset[str]:
    """The scalar fields ``schema`` requires and does not allow to be null."""
    properties = schema.get("properties", {})
    return frozenset(
        name
        for name in schema.get("required", [])
        if isinstance(properties.get(name), dict)
        and properties[name].get("type") not in ("array", "object")
        and validation_problem(None, properties[name]) is not None
    )


def complete_object(value: Any, schema: dict[str, Any], path: str = "") -> tuple[Any, list[str], int]:
    """``value`` made valid field by field: a required field no part gave gets null where the
    schema allows it, else the smallest valid value; an invalid value becomes null where allowed;
    objects inside (also in lists) are completed the same way, and list elements still invalid are
    left out. Returns the value, the paths of the fields so filled, and how many elements were left out."""
    if not isinstance(value, dict):
        return value, [], 0
    properties = schema.get("properties", {})
    filled: list[str] = []
    dropped = 0
    completed = dict(value)
    for name, sub in properties.items():
        current = completed.get(name)
        if isinstance(current, dict):
            completed[name], inner, lost = complete_object(current, sub, f"{path}{name}.")
            filled, dropped = filled + inner, dropped + lost
        elif isinstance(current, list) and isinstance(sub.get("items"), dict):
            elements = []
            for n, element in enumerate(current):
                element, inner, lost = complete_object(element, sub["items"], f"{path}{name}[{n}].")
                filled, dropped = filled + inner, dropped + lost
                if validation_problem(element, sub["items"]) is None:
                    elements.append(element)
            dropped += len(current) - len(elements)
            completed[name] = elements
    required = schema.get("required", [])
    for name in [*required, *(n for n in completed if n not in required)]:
        sub = properties.get(name)
        current = completed.get(name)
        if sub is None or (name in completed and validation_problem(current, sub) is None):
            continue
        current = _enum_member(current, sub)
        if current is not None and validation_problem(current, sub) is None:
            completed[name] = current
        elif validation_problem(None, sub) is None:
            completed[name] = None
        elif name not in required:
            completed.pop(name, None)  # an optional field the documents do not give is left out
        else:
            filled.append(path + name)
            completed[name] = minimal_instance(sub, schema)
    return completed, filled, dropped


def _enum_member(value: Any, schema: dict[str, Any]) -> Any:
    """The enum member ``value`` names, written in another case or with spaces ("Credit Note" for
    ``credit_note``); else ``value``."""
    members = schema.get("enum")
    if not isinstance(value, str) or not isinstance(members, list):
        return value
    wanted = "".join(ch for ch in value.casefold() if ch.isalnum())
    found = [
        m for m in members if isinstance(m, str) and "".join(c for c in m.casefold() if c.isalnum()) == wanted
    ]
    return found[0] if len(found) == 1 else value
