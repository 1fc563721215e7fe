"""Quantities in the unit their field names: "750 g" in ``weight_kg`` → 0.75, "2 Jahre" in
``warranty_months`` → 24, "1,5 m" in ``length_cm`` → 150.

A field names its unit at the end of its key ("weight_kg", "warrantyMonths") or in its
description ("in kg", "(months)"); a value names its own after its number. The words a unit is
written with in the languages documents here are written in come from CLDR (Babel), the
conversions from Pint. A value converts only between units of one physical dimension, so
"20 %", "5 pages" and a bare number stay the number they write.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from longdoc.extraction.currencies import LOCALES

if TYPE_CHECKING:
    from pint import Unit, UnitRegistry

EVERYDAY = ("duration", "mass", "length", "volume", "power", "energy", "electric", "speed")  # CLDR kinds
_EDGES = " .\u00a0\u202f"
UNIT_COUNTS = (1, 2, 5)  # counts whose plural forms name a unit ("one", "few", "many"/"other")
# where a key's words part: "weight_kg", "warrantyMonths", "capacity-mAh" (not "m|Ah")
_KEY_WORDS = re.compile(r"[_\-\s]+|(?<=[a-z]{2})(?=[A-Z][a-z])")
# a description that names the unit: "weight in kg", "warranty (months)", "in Kilogramm"
_DESCRIBED = re.compile(r"\bin\s+([^\W\d_]+)(?=\s*(?:[),.;:]|$))|\(\s*([^\W\d_]+)\s*\)")
# the word or two after a value's first number: "750 g", "2 Jahre", "10 000 mAh", "1,6 kg"
_AFTER_NUMBER = re.compile(r"\d(?:[\d.,'’]|\s(?=\d))*\s*([^\W\d_]+\.?)(?:\s+([^\W\d_]+))?")


@functools.cache
def _registry() -> UnitRegistry[Any]:
    import pint

    return pint.UnitRegistry(cache_folder=None)


@functools.cache
def _words() -> dict[str, frozenset[str]]:
    """Every long and short name of an everyday unit (singular and plural) in the documents'
    languages, as written and case-folded → the Pint units it names."""
    from babel import Locale
    from babel.units import format_unit

    registry = _registry()
    written: dict[str, set[str]] = {}
    folded: dict[str, set[str]] = {}
    for tag in LOCALES:
        locale = Locale.parse(tag)
        for unit in map(str, locale.unit_display_names):
            kind, _, name = unit.partition("-")
            name = name.replace("-per-", "/").replace("-", "_")
            if kind not in EVERYDAY or not _defined(registry, name):
                continue
            for count in UNIT_COUNTS:
                for length in ("long", "short"):
                    word = format_unit(count, unit, length=length, locale=locale).replace(str(count), "", 1)
                    word = unicodedata.normalize("NFKC", word).strip(_EDGES)
                    if word:
                        written.setdefault(word, set()).add(name)
                        folded.setdefault(word.casefold(), set()).add(name)
    return {word: frozenset(names) for word, names in [*folded.items(), *written.items()]}


def _defined(registry: UnitRegistry[Any], name: str) -> bool:
    from pint.errors import PintError

    try:
        registry.parse_units(name)
    except PintError:  # a CLDR unit Pint does not define, or a word that is no unit
        return False
    return True


def _units(word: str) -> list[Unit]:
    """The units ``word`` may name: its CLDR names as written, else case-folded, else Pint's own
    spelling of one word ("mAh", "lbs")."""
    registry = _registry()
    word = unicodedata.normalize("NFKC", word).strip(_EDGES)
    names = _words().get(word) or _words().get(word.casefold())
    if names:
        return [registry.parse_units(name) for name in sorted(names)]
    if word.isalpha() and _defined(registry, word):
        return [registry.parse_units(word)]
    return []


def in_field_unit(value: str, number: float, name: str, description: str) -> float:
    """``number`` — the first number ``value`` writes — in the unit its field asks for, when
    ``value`` writes it in another unit of the same dimension; else ``number`` as it is."""
    found = _AFTER_NUMBER.search(unicodedata.normalize("NFKC", value))
    unit = _field_unit(name, description) if found is not None else None
    if found is None or unit is None:
        return number
    registry = _registry()
    for word in [" ".join(w for w in found.groups() if w), found.group(1)]:
        same = [
            u for u in _units(word) if registry.get_dimensionality(u) == registry.get_dimensionality(unit)
        ]
        if len(same) == 1:
            return round(float(registry.Quantity(number, same[0]).to(unit).magnitude), 9)
    return number


def names_a_unit(name: str, description: str) -> bool:
    """Whether a field's key or description names the physical unit it holds ("weight_kg",
    "warranty (months)"), in a word of two letters or more: a letter alone may be a word of
    the name ("party_a"), not a unit."""
    words = [*_KEY_WORDS.split(name)[-1:], *_described(description)]
    return any(len(word) > 1 and _field_unit(word, "") is not None for word in words)


@functools.lru_cache(maxsize=1024)
def _field_unit(name: str, description: str) -> Unit | None:
    """The physical unit a number field asks for, from its key's last word or its description;
    None when it names none, or one without a dimension (percent, count)."""
    for word in [*_KEY_WORDS.split(name)[-1:], *_described(description)]:
        units = [u for u in _units(word) if _registry().get_dimensionality(u)]
        if len(units) == 1:
            return units[0]
    return None


def _described(description: str) -> list[str]:
    return [word for found in _DESCRIBED.finditer(description) for word in found.groups() if word]
