"""An item's measured quantities from where the item is written.

A small model filling every field of every item copies numbers across: the quantity "1" as a
monitor's weight, the next line's "10000 mAh" as its capacity, "2" for "2 ans" of warranty. A
field that names a unit ("weight_kg", "warranty (months)") holds a quantity of one dimension,
and the text says which: the stretch from where an item is written to where the next one is
("Monitor Lumo 27 Garantie : 36 mois | 1 | 347,67 €"). The field takes the one quantity of its
dimension written there ("36 mois"), or null when none is; with several, it keeps the model's
value if that is one of them. A text value of the item that ends with that quantity under a label
("… Garantie : 36 mois") loses the labelled attribute: it is the measured field's.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from longdoc.extraction.normalise import parse_number
from longdoc.extraction.schema import kinds_of
from longdoc.extraction.units import field_unit_in, in_field_unit, quantities
from longdoc.extraction.writing import names_something


def placed(value: Any, schema: dict[str, Any], text: str, decimal_comma: bool) -> Any:
    """``value`` (as the model wrote it) with the fields that name a unit, in each list of items
    at any depth (``value`` itself when it is one), set from the stretch of ``text`` their item is
    written in. Items not found in ``text`` are left as they are."""
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        items = [placed(v, schema["items"], text, decimal_comma) for v in value]
        return _placed_items(items, schema["items"], text, decimal_comma)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        return {k: placed(v, properties.get(k, {}), text, decimal_comma) for k, v in value.items()}
    return value


def _placed_items(items: list[Any], item_schema: dict[str, Any], text: str, decimal_comma: bool) -> list[Any]:
    measured = {
        name: (unit, str(sub.get("description", "")))
        for name, sub in item_schema.get("properties", {}).items()
        if kinds_of(sub) & {"number", "integer"}
        and (unit := field_unit_in(name, str(sub.get("description", "")), text)) is not None
    }
    if not measured:
        return items
    starts = _starts(items, text)
    known = [start for start in starts if start is not None]
    # the last item's stretch ends after as many line breaks as the others' cross (its row)
    breaks = max((text.count("\n", a, b) for a, b in itertools.pairwise(known)), default=1) or 1
    out: list[Any] = []
    for item, start in zip(items, starts, strict=True):
        if start is None or not isinstance(item, dict):
            out.append(item)
            continue
        later = [s for s in known if s > start]
        end = later[0] if later else _after_breaks(text, start, breaks)
        stretch = text[start:end]
        item = dict(item)
        for name, (unit, description) in measured.items():
            quantity = _quantity(item.get(name), stretch, unit, name, description, decimal_comma)
            if quantity is not None or name in item:
                item[name] = quantity
            if isinstance(quantity, str) and quantity.strip():
                item = _without_attribute(item, name, quantity.strip())
        out.append(item)
    return out


def _without_attribute(item: dict[str, Any], name: str, written: str) -> dict[str, Any]:
    """``item`` with a text value that ends with the field ``name``'s quantity under a label of its
    own ("Monitor Lumo 27 Garantie : 36 mois" beside a warranty of "36 mois") cut before the label
    (a word of letters, perhaps with a second in lower case: "Battery capacity"): the attribute is
    that field's. A quantity without a label ("Ersatzakku 4000 mAh") stays."""
    label = re.compile(rf"(?<=\s)[^\W\d_]+(?:\s+(?-i:[^\W\d_A-Z]+))?\s*[:：]\s*{re.escape(written)}\s*$")
    for other, value in item.items():
        if other != name and isinstance(value, str) and (found := label.search(value)):
            item[other] = value[: found.start()].rstrip(" ,;|·–—-")
    return item


def _after_breaks(text: str, start: int, breaks: int) -> int:
    end = start
    for _ in range(breaks):
        end = text.find("\n", end + 1)
        if end < 0:
            return len(text)
    return end


def _starts(items: list[Any], text: str) -> list[int | None]:
    """Where each item is first written, in order: the first of its words ("Monitor Lumo 27";
    not a number, which other items' rows write too) found after the previous item's place."""
    starts: list[int | None] = []
    after = 0
    for item in items:
        values = item.values() if isinstance(item, dict) else []
        worded = [v.strip() for v in values if names_something(v)]
        found = [at for at in (text.find(v, after) for v in worded) if at >= 0]
        start = min(found) if found else None
        starts.append(start)
        after = start + 1 if start is not None else after
    return starts


def _quantity(value: Any, stretch: str, unit: Any, name: str, description: str, decimal_comma: bool) -> Any:
    """The one quantity of ``unit``'s dimension ``stretch`` writes; with several, ``value`` if it
    is one of them; with none, null: the model copied it from another item or column."""
    written = [stretch[a:b] for a, b in quantities(stretch, unit)]
    amounts = {_amount(w, name, description, decimal_comma): w for w in written}
    amounts.pop(None, None)
    if len(amounts) == 1:
        return next(iter(amounts.values()))
    return value if _amount(value, name, description, decimal_comma) in amounts else None


def _amount(written: Any, name: str, description: str, decimal_comma: bool) -> float | None:
    number = parse_number(written, decimal_comma)
    if number is None or not isinstance(written, str):
        return number
    return in_field_unit(written, number, name, description)
