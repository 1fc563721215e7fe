"""Quantities in the unit their field names: "750 g" in ``weight_kg`` → 0.75, "2 Jahre" in
``warranty_months`` → 24, "1,5 m" in ``length_cm`` → 150.

A field names its unit in its description ("in kg", "(months)") or after what its key measures
("weight_kg", "warrantyMonths"); a value names its own after its number. The words a unit is
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


@functools.lru_cache(maxsize=1024)
def field_unit(name: str, description: str) -> Unit | None:
    """The physical unit a number field asks for, from its description or its key's last word;
    None when it names none, or one without a dimension (percent, count). A key names a unit
    after what it measures, in a word of two letters or more: "warranty_months", not "months"
    (a field of that name may count anything) nor "party_a"."""
    words = _KEY_WORDS.split(name)
    named = words[-1:] if len(words) > 1 and len(words[-1]) > 1 else []
    for word in [*_described(description), *named]:
        units = [u for u in _units(word) if _registry().get_dimensionality(u)]
        if len(units) == 1:
            return units[0]
    return None


def field_unit_in(name: str, description: str, text: str) -> Unit | None:
    """``field_unit``, or else the unit ``text`` writes after a number in the letters of the key's
    last word, in any case ("capacity_mah" and "10000 mAh")."""
    unit = field_unit(name, description)
    words = _KEY_WORDS.split(name)
    if unit is not None or len(words) < 2 or len(words[-1]) < 2 or not words[-1].isalpha():
        return unit
    written = re.search(rf"\d\s*({re.escape(words[-1])})(?![^\W\d_])", text, re.IGNORECASE)
    units = [u for u in _units(written.group(1)) if _registry().get_dimensionality(u)] if written else []
    return units[0] if len(units) == 1 else None


def same_dimension(one: Unit, other: Unit) -> bool:
    """Whether two units measure one thing (kilograms and grams)."""
    return bool(_registry().get_dimensionality(one) == _registry().get_dimensionality(other))


def in_field_unit(value: str, number: float, name: str, description: str) -> float:
    """``number`` — the first number ``value`` writes — in the unit its field asks for, when
    ``value`` writes it in another unit of the same dimension; else ``number`` as it is."""
    found = _AFTER_NUMBER.search(unicodedata.normalize("NFKC", value))
    unit = field_unit(name, description) if found is not None else None
    written = _written_unit(found, unit) if found is not None and unit is not None else None
    if written is None:
        return number
    return round(float(_registry().Quantity(number, written).to(unit).magnitude), 9)


def quantities(text: str, unit: Unit) -> list[tuple[int, int]]:
    """Where ``text`` writes a quantity in a unit of ``unit``'s dimension ("750 g" for kilograms):
    (start, end) of each, from its number to the word or two after it."""
    return [found.span() for found in _AFTER_NUMBER.finditer(text) if _written_unit(found, unit) is not None]


def _written_unit(found: re.Match[str], unit: Unit) -> Unit | None:
    """The unit of ``unit``'s dimension the word or two after a number name, if one."""
    registry = _registry()
    for word in [" ".join(w for w in found.groups() if w), found.group(1)]:
        same = [
            u for u in _units(word) if registry.get_dimensionality(u) == registry.get_dimensionality(unit)
        ]
        if len(same) == 1:
            return same[0]
    return None


def _described(description: str) -> list[str]:
    return [word for found in _DESCRIBED.finditer(description) for word in found.groups() if word]
