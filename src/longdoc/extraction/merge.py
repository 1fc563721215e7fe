"""Combining what each part yielded into one answer.

Arrays: items are concatenated in document order, and an item that is the same as an earlier one
is merged into it — the first keeps its values, takes the fields it lacks from the repeat, the
elements its lists lack, and both sets of sources. Items are the same when their key fields
(``x_dedupe_keys``, else inferred: an id/model/sku/code field, else a name/title field, else all
fields) are equal once normalised; an id names one item, but a name or title may be shared by
distinct ones ("Software Engineer" at two companies), so items keyed by a name are the same only
if no other short field tells them apart. Single objects: each field takes the value with most
votes, each part's vote weighted by how well the part matches the field; a tie goes to the value
found verbatim in the text, then the earliest. A list — in the object, or in an object inside
it — gathers its elements from every part that lists any, each once. A profile may compare
values more loosely and keep fewer of a list's elements (``profiles``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from longdoc.extraction.grounding import Grounding
from longdoc.extraction.profiles.base import NO_PROFILE, Profile

IDENTIFYING = ("id", "sku", "model", "model_number", "code", "part_number", "item_number", "serial",
               "isbn", "型号", "编号", "代码", "货号", "型番")  # fmt: skip
NAMING = ("name", "title", "product", "product_name", "名称", "名字", "产品", "标题", "名前")
Reread = Callable[[str, list["Item"]], list["Item"]]
VOTE_FLOOR = 0.1  # a part's vote for a field it does not match at all
# A longer text describes rather than identifies: two readings of one item may word it differently.
DISTINGUISHING_CHARACTERS = 60


@dataclass
class Item:
    """One extracted value (an array item, or a part's whole object) and where it came from."""

    value: Any  # in the answer's types
    part: int  # the part it came from, in document order
    sources: list[Grounding] = field(default_factory=list)  # where its values are written
    repeats: list[int] = field(default_factory=list)  # the parts of the repeats merged into it

    def grounded(self, name: str | None = None, *, exact: bool = False) -> bool:
        return any(
            (name is None or s.field == name) and (not exact or s.match == "exact") for s in self.sources
        )


@dataclass(frozen=True)
class ItemKeys:
    """The fields that identify an item, and whether equal values alone make two items one."""

    fields: tuple[str, ...]
    unique: bool = True  # False for a name or title: other fields may still tell two items apart


def dedupe_keys(item_schema: dict[str, Any], given: Sequence[str] = ()) -> ItemKeys:
    """The fields identifying an item: ``given``, else inferred from the schema's field names."""
    fields = list(item_schema.get("properties", {}))
    if given:
        return ItemKeys(tuple(f for f in given if f in fields) or tuple(given))
    identifying = [f for f in fields if f.lower() in IDENTIFYING]
    if identifying:
        return ItemKeys(tuple(identifying[:1]))
    naming = [f for f in fields if f.lower() in NAMING]
    if naming:
        return ItemKeys(tuple(naming[:1]), unique=False)
    return ItemKeys(tuple(fields))


def key_text(value: Any, profile: Profile = NO_PROFILE) -> str:
    """A value compared loosely: NFKC, case folded, letters, digits and CJK only (and whatever the
    profile leaves out)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    folded = profile.comparable(unicodedata.normalize("NFKC", value).casefold())
    return re.sub(r"[\W_]+", "", folded)


def merge_items(items: Sequence[Item], keys: ItemKeys, profile: Profile = NO_PROFILE) -> list[Item]:
    """Items in order, repeats merged into their first occurrence."""
    kept: list[Item] = []
    seen: dict[tuple[str, ...], list[Item]] = {}
    for item in sorted(items, key=lambda i: i.part):  # stable: order within a part stays
        if not isinstance(item.value, dict):
            identity: tuple[str, ...] = (key_text(item.value, profile),)
        else:
            identity = tuple(key_text(item.value.get(k), profile) for k in keys.fields)
            if not any(identity):  # no key value: compare the whole item
                identity = tuple(key_text(v, profile) for v in item.value.values())
        same = seen.setdefault(identity, [])
        first = next((f for f in same if keys.unique or not _told_apart(f.value, item.value, profile)), None)
        if first is None:
            same.append(item)
            kept.append(item)
        else:
            _absorb(first, item, profile)
    return kept


def _told_apart(a: Any, b: Any, profile: Profile) -> bool:
    """Whether two items with equal key fields differ in another short field both give (a company,
    a date, a price): unequal numbers, or texts neither of which holds the other ("Acme" is "Acme
    Corp" read more fully)."""
    if not isinstance(a, dict) or not isinstance(b, dict):
        return False
    for name in a.keys() & b.keys():
        one, other = a[name], b[name]
        if (
            isinstance(one, list | dict)
            or isinstance(other, list | dict)
            or one in (None, "")
            or other in (None, "")
        ):
            continue
        if max(len(str(one)), len(str(other))) > DISTINGUISHING_CHARACTERS:
            continue
        mine, theirs = key_text(one, profile), key_text(other, profile)
        texts = isinstance(one, str) and isinstance(other, str)
        if mine != theirs and not (texts and (mine in theirs or theirs in mine)):
            return True
    return False


def _absorb(first: Item, repeat: Item, profile: Profile) -> None:
    """``repeat``'s values, list elements and sources added to ``first`` where it lacks them."""
    if (
        isinstance(first.value, str)
        and isinstance(repeat.value, str)
        and len(repeat.value) > len(first.value)
    ):
        first.value = repeat.value  # the fuller spelling of one name ("Nike, Inc." for "Nike")
    if isinstance(first.value, dict) and isinstance(repeat.value, dict):
        for name, value in repeat.value.items():
            mine = first.value.get(name)
            if mine in (None, "", []) and value not in (None, "", []):
                first.value[name] = value
            elif isinstance(mine, list) and isinstance(value, list):
                have = {key_text(v, profile) for v in mine}
                first.value[name] = [*mine, *(v for v in value if key_text(v, profile) not in have)]
    first.sources.extend(s for s in repeat.sources if s not in first.sources)
    first.repeats.extend([repeat.part, *repeat.repeats])


def merge_objects(
    items: Sequence[Item],
    schema: dict[str, Any],
    keys: Sequence[str] = (),
    relevance: Mapping[str, Mapping[int, float]] | None = None,
    profile: Profile = NO_PROFILE,
    reread: Reread | None = None,
) -> Item:
    """One object from each part's object: lists gathered from every part, objects merged field by
    field, other fields voted, each part's vote for a field weighted by how well the part matches
    the field (``relevance``: field → part → 0..1, plus a floor, so that agreement among parts
    still counts). A list's elements, before they are merged, may be read again (``reread``: the
    field, its elements → the elements)."""
    properties = schema.get("properties", {})
    names = list(dict.fromkeys([*properties, *(k for i in items for k in (i.value or {}))]))
    merged: dict[str, Any] = {}
    sources: list[Grounding] = []
    for name in names:
        sub = properties.get(name, {})
        values = [i for i in items if isinstance(i.value, dict) and i.value.get(name) not in (None, "", [])]
        own = [[s for s in i.sources if s.field == name] for i in values]
        if sub.get("type") == "array" or any(isinstance(i.value[name], list) for i in values):
            elements = [
                Item(v, i.part, [s for s in found if _supports(s, v, profile)])
                for i, found in zip(values, own, strict=True)
                for v in (i.value[name] if isinstance(i.value[name], list) else [i.value[name]])
            ]
            if reread is not None:
                elements = reread(name, elements)
            item_keys = dedupe_keys(sub.get("items", {}), keys)
            kept = profile.list_elements(merge_items(elements, item_keys, profile))
            merged[name] = [e.value for e in kept]
            sources.extend(s for e in kept for s in e.sources)
        elif sub.get("type") == "object" or any(isinstance(i.value[name], dict) for i in values):
            inner = [Item(i.value[name], i.part) for i in values if isinstance(i.value[name], dict)]
            merged[name] = merge_objects(inner, sub, keys, None, profile).value if inner else None
            sources.extend(s for found in own for s in found)
        else:
            winner = _vote(values, name, (relevance or {}).get(name, {}), profile)
            merged[name] = winner.value[name] if winner is not None else None
            if winner is not None:
                chosen = key_text(winner.value[name], profile)
                sources.extend(
                    s for i, found in zip(values, own, strict=True)
                    if key_text(i.value[name], profile) == chosen for s in found
                )  # fmt: skip
    return Item(merged, items[0].part if items else 0, sources)


def _vote(items: Sequence[Item], name: str, relevance: Mapping[int, float], profile: Profile) -> Item | None:
    tally: dict[str, list[Item]] = {}
    for item in items:
        tally.setdefault(key_text(item.value[name], profile), []).append(item)
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


def _supports(source: Grounding, value: Any, profile: Profile) -> bool:
    """Whether a source of a list field is one of this element's (its ``value`` is the element, or
    one of the element's strings); a source recording no value supports any."""
    written = source.value
    if written is None:
        return True
    if isinstance(value, dict):
        return any(isinstance(v, str) and v == written for v in value.values())
    return key_text(written, profile) == key_text(value, profile)
