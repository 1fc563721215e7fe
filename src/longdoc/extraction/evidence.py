"""What of a part's answer its text supports, spelt as the text writes it.

A small model reading a part answers every field, supported or not: it echoes the field's
description ("the state whose laws govern it") or invents a plausible date. Before the parts are
merged, a single object keeps only the values found in its part (``supported``), a list only the
items most of whose values are (``mostly_grounded``). A value that differs from the text only in
apostrophes or spacing takes the text's spelling ("Roundy’s" for "Roundy's", ``as_written``).
A value that is the name of the file the part comes from — the prompt's label gives it — is not
read from the text unless the text writes it (``without_file_names``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise
from statistics import median
from typing import Any

from longdoc.extraction.grounding import Grounding
from longdoc.extraction.writing import spaced

_JSON_TAIL = re.compile(r"\s*(?:[}\]]\s*,?\s*)+[{\[]?\s*$")
UNREAD_CHARS = 80  # a stretch shorter than this holds no item a pass missed (a heading, a note)


def spelt_as_written(surface: Any, text: str) -> Any:
    """``surface`` with each of its strings, at any depth, spelt as ``text`` writes it."""
    if isinstance(surface, str):
        return as_written(surface, text)
    if isinstance(surface, list):
        return [spelt_as_written(v, text) for v in surface]
    if isinstance(surface, dict):
        return {name: spelt_as_written(v, text) for name, v in surface.items()}
    return surface


def without_file_names(surface: Any, name: str, text: str) -> Any:
    """``surface`` with each string that is the file's ``name`` — with or without its extension,
    or ending in its extension ("eu_01_de_invoice.pdf" as an invoice number, "Sphere 3D Corp. 06 24
    2020-EX-10.12-CONSULTING_AGREEMENT.PDF" as a party) — as null, unless ``text`` writes it."""
    if isinstance(surface, list):
        return [without_file_names(v, name, text) for v in surface]
    if isinstance(surface, dict):
        return {key: without_file_names(v, name, text) for key, v in surface.items()}
    if not isinstance(surface, str) or surface.strip() in text:
        return surface
    stem, dot, extension = name.casefold().rpartition(".")
    value = surface.strip().casefold()
    ends_so = bool(dot) and len(extension) > 1 and value.endswith(dot + extension)
    return None if value in {name.casefold(), stem} or ends_so else surface


def as_written(value: str, text: str) -> str:
    """``value`` spelt as ``text`` writes it where the two differ only in apostrophes or spacing
    ("Roundy's" → "Roundy’s"), without the end of a JSON object or list a small model sometimes
    closes inside a string ("University of Manchester (2020)},{") when the text does not write it."""
    if value not in text:
        value = _JSON_TAIL.sub("", value)
    found = re.search(rf"(?<!\w){spaced(value)}(?!\w)", text) if value.strip() else None
    return " ".join(found.group(0).split()) if found else value


def supported(
    surface: dict[str, Any], sources: list[Grounding], needed: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """``surface`` with every value its part's text does not hold set to null (or left out of its
    list) — except the ``needed`` fields, which the schema requires and will not take as null: the
    model's value beats one made up to fill the field."""
    kept: dict[str, Any] = {}
    for name, value in surface.items():
        found = [s for s in sources if s.field == name]
        if name in needed:
            kept[name] = value
        elif isinstance(value, list):
            held = {s.value for s in found if s.value is not None}
            kept[name] = [v for v in value if not isinstance(v, str) or v in held]
        else:
            kept[name] = value if found or value in (None, "", []) else None
    return kept


def mostly_grounded(surface: Any, sources: list[Grounding]) -> bool:
    """Whether at least half of a list item's given fields were found in its part (else the model
    made it up)."""
    if not isinstance(surface, dict):
        return bool(sources)
    given = [name for name, value in surface.items() if value not in (None, "", [])]
    found = {s.field for s in sources}
    return bool(given) and 2 * len(found & set(given)) >= len(given)


def read_through(found: Sequence[Sequence[Grounding]], start: int, end: int) -> bool:
    """Whether the items found in ``text[start:end]`` (each given by its groundings) account for
    all of it: no stretch without an item is longer than twice the usual distance between items
    (at least ``UNREAD_CHARS``), or, with one item, than half the part.

    A small model that stops listing early leaves such a stretch after its last item or between
    two; one that listed everything leaves only headings and notes between its items, so asking
    it again would only cost time."""
    spans = [(min(g.start for g in item), max(g.end for g in item)) for item in found if item]
    if not spans:
        return False
    starts = sorted(first for first, _ in spans)
    strides = [b - a for a, b in pairwise(starts)]
    limit = max(2 * median(strides), UNREAD_CHARS) if strides else max((end - start) / 2, UNREAD_CHARS)
    gaps = [starts[0] - start, *strides, end - max(last for _, last in spans)]
    return max(gaps) <= limit
