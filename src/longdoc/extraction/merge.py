"""Combining what each part yielded into one answer.

Arrays: items are concatenated in document order, and an item whose key fields (``x_dedupe_keys``,
else inferred: an id/model/sku/code field, else a name/title field, else all fields) equal an
earlier one's after normalisation is merged into it — the first keeps its values and takes the
fields it lacks from the repeat, and both sets of sources; a name compares without its legal form
("Nike" is "NIKE, Inc.", which is kept). Single objects: each field takes the value with most
votes, each part's vote weighted by how well the part matches the field; a tie goes to the value
found verbatim in the text, then the earliest. A list inside an object keeps the elements the
earliest part listing any gave, or several parts did, less fragments of another's name.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from longdoc.extraction.evidence import entity_key

IDENTIFYING = ("id", "sku", "model", "model_number", "code", "part_number", "item_number", "serial",
               "isbn", "型号", "编号", "代码", "货号", "型番")  # fmt: skip
NAMING = ("name", "title", "product", "product_name", "party", "名称", "名字", "产品", "标题", "名前")
VOTE_FLOOR = 0.1  # a part's vote for a field it does not match at all


@dataclass
class Item:
    """One extracted value (an array item, or a part's whole object) and where it came from."""

    value: Any  # in the answer's types
    part: int  # the part it came from, in document order
    sources: list[dict[str, Any]] = field(default_factory=list)  # grounded spans, each naming its field
    repeats: list[int] = field(default_factory=list)  # the parts of the repeats merged into it

    def grounded(self, name: str | None = None, *, exact: bool = False) -> bool:
        return any(
            (name is None or s["field"] == name) and (not exact or s["match"] == "exact")
            for s in self.sources
        )


def dedupe_keys(item_schema: dict[str, Any], given: Sequence[str] = ()) -> list[str]:
    """The fields identifying an item: ``given``, else inferred from the schema's field names."""
    fields = list(item_schema.get("properties", {}))
    if given:
        return [f for f in given if f in fields] or list(given)
    for names in (IDENTIFYING, NAMING):
        found = [f for f in fields if f.lower() in names]
        if found:
            return found[:1]
    return fields


def key_text(value: Any) -> str:
    """A value compared loosely: NFKC, case folded, no legal form ("Inc."), letters, digits and CJK only."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    folded = entity_key(unicodedata.normalize("NFKC", value).casefold())
    return re.sub(r"[\W_]+", "", folded)


def merge_items(items: Sequence[Item], keys: Sequence[str]) -> list[Item]:
    """Items in order, repeats (equal key fields) merged into their first occurrence."""
    kept: list[Item] = []
    seen: dict[tuple[str, ...], Item] = {}
    for item in sorted(items, key=lambda i: i.part):  # stable: order within a part stays
        if not isinstance(item.value, dict):
            identity: tuple[str, ...] = (key_text(item.value),)
        else:
            identity = tuple(key_text(item.value.get(k)) for k in keys)
            if not any(identity):  # no key value: compare the whole item
                identity = tuple(key_text(v) for v in item.value.values())
        first = seen.get(identity)
        if first is None:
            seen[identity] = item
            kept.append(item)
            continue
        if (
            isinstance(first.value, str)
            and isinstance(item.value, str)
            and len(item.value) > len(first.value)
        ):
            first.value = item.value  # the fuller spelling of one name ("Nike, Inc." for "Nike")
        if isinstance(first.value, dict) and isinstance(item.value, dict):
            for name, value in item.value.items():
                if first.value.get(name) in (None, "", []) and value not in (None, "", []):
                    first.value[name] = value
        first.sources.extend(s for s in item.sources if s not in first.sources)
        first.repeats.extend([item.part, *item.repeats])
    return kept


def merge_objects(
    items: Sequence[Item],
    schema: dict[str, Any],
    keys: Sequence[str] = (),
    relevance: Mapping[str, Mapping[int, float]] | None = None,
) -> Item:
    """One object from each part's object: arrays merged, other fields voted, each part's vote
    for a field weighted by how well the part matches the field (``relevance``: field → part →
    0..1, plus a floor, so that agreement among parts still counts)."""
    properties = schema.get("properties", {})
    names = list(dict.fromkeys([*properties, *(k for i in items for k in (i.value or {}))]))
    merged: dict[str, Any] = {}
    sources: list[dict[str, Any]] = []
    for name in names:
        kind = properties.get(name, {}).get("type")
        values = [i for i in items if isinstance(i.value, dict) and i.value.get(name) not in (None, "", [])]
        if kind == "array" or any(isinstance(i.value[name], list) for i in values):
            elements = [
                Item(v, i.part, [s for s in i.sources if s["field"] == name and _supports(s, v)])
                for i in values
                for v in (i.value[name] if isinstance(i.value[name], list) else [i.value[name]])
            ]
            kept = _without_fragments(
                _agreed(merge_items(elements, dedupe_keys(properties.get(name, {}).get("items", {}), keys)))
            )
            merged[name] = [e.value for e in kept]
            sources.extend(s for e in kept for s in e.sources)
            continue
        winner = _vote(values, name, (relevance or {}).get(name, {}))
        merged[name] = winner.value[name] if winner is not None else None
        if winner is not None:
            chosen = key_text(winner.value[name])
            sources.extend(
                s
                for i in values
                if key_text(i.value[name]) == chosen
                for s in i.sources
                if s["field"] == name
            )
    return Item(merged, items[0].part if items else 0, sources)


def _without_fragments(elements: Sequence[Item]) -> list[Item]:
    """The elements that are not a run of another's words ("Roebuck and Co." beside "Sears, Roebuck
    and Co."): a small model splits a name at its commas."""
    words = [
        " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", e.value).casefold()))
        if isinstance(e.value, str)
        else ""
        for e in elements
    ]
    return [
        e
        for e, mine in zip(elements, words, strict=True)
        if not isinstance(e.value, str)
        or not any(mine != other and f" {mine} " in f" {other} " for other in words)
    ]


def _agreed(elements: Sequence[Item]) -> list[Item]:
    """The elements of one object's list that the earliest part listing any gave, or several parts
    did: a part read alone names things the object does not hold (the people signing a contract
    are not its parties)."""
    if not elements:
        return []
    first = min(e.part for e in elements)
    return [e for e in elements if e.part == first or len({e.part, *e.repeats}) > 1]


def _vote(items: Sequence[Item], name: str, relevance: Mapping[int, float]) -> Item | None:
    tally: dict[str, list[Item]] = {}
    for item in items:
        tally.setdefault(key_text(item.value[name]), []).append(item)
    if not tally:
        return None
    ranked = sorted(
        tally.values(),
        key=lambda group: (
            -sum(VOTE_FLOOR + relevance.get(i.part, 1.0) for i in group),
            not any(i.grounded(name, exact=True) for i in group),
            not any(i.grounded(name) for i in group),
            group[0].part,
        ),
    )
    return ranked[0][0]


def _supports(source: dict[str, Any], value: Any) -> bool:
    """Whether a source of a list field is the one of this element (``value`` index recorded)."""
    return source.get("value") is None or key_text(source["value"]) == key_text(value)
