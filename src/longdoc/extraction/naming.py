"""English keys for a schema derived from an instruction in another script.

A caller who writes "提取所有产品的型号、名称和价格" without a schema gets JSON with English
snake_case keys (``model``, ``name``, ``price``, under ``products``), as programs that read JSON
expect and as a caller writing English gets. The model names each key on its own, asked once per
name with the task beside it; a key it cannot name (a name that is no snake_case word, or one it
gave another field too) stays as the instruction writes it. The caller who wants other keys gives
a schema.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from typing import Any

from longdoc.core.errors import LongdocError
from longdoc.extraction.schema import TargetSchema
from longdoc.inference.base import ChatMessage, GenerationParams, InferenceBackend

log = logging.getLogger(__name__)

_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_KEY_SCHEMA = {"type": "string", "pattern": f"^{_KEY.pattern}$"}
_SYSTEM = "You name the keys of JSON data in English."
_PROMPT = (
    "Task: {instruction}\n\nThe answer is JSON with English keys in snake_case. Which key holds "
    '"{name}"? Translate "{name}" word for word; answer with the key as a JSON string:'
)


def english_keys(target: TargetSchema, instruction: str, backend: InferenceBackend) -> TargetSchema:
    """``target`` (derived) with each field, and the list it is wrapped in, named in English where
    the instruction names them in another script."""
    properties: dict[str, Any] = target.item_schema.get("properties", {})
    names = [n for n in [*properties, target.wrapper or ""] if n and not n.isascii()]
    if not names:
        return target
    try:
        keys = {name: _ask(name, instruction, backend) for name in names}
    except LongdocError as exc:  # the reading will meet the same trouble and say so
        log.info("extraction keys not named in English: %s", exc.message)
        return target
    taken = [keys.get(n, n) for n in properties]
    renamed = {
        name: key if taken.count(key) == 1 else name for name, key in zip(properties, taken, strict=True)
    }
    item = {
        **target.item_schema,
        "properties": {renamed[n]: sub for n, sub in properties.items()},
        "required": [renamed[n] for n in target.item_schema.get("required", [])],
    }
    schema = {**target.schema, "items": item} if target.is_array else item
    wrapper = keys.get(target.wrapper or "", target.wrapper)
    if wrapper is not None and wrapper != target.wrapper and not wrapper.endswith("s"):
        wrapper += "s"  # it names the list: "产品" → "products"
    return replace(target, schema=schema, wrapper=wrapper)


def _ask(name: str, instruction: str, backend: InferenceBackend) -> str:
    messages = [
        ChatMessage(role="system", content=_SYSTEM),
        ChatMessage(role="user", content=_PROMPT.format(instruction=instruction, name=name)),
    ]
    params = GenerationParams(json_schema=_KEY_SCHEMA, temperature=0.0, max_tokens=24)
    text = backend.complete(messages, params).text
    try:
        key = json.loads(text)
    except json.JSONDecodeError:
        return name
    return key if isinstance(key, str) and _KEY.fullmatch(key) else name
