"""Places a small model gives where names are asked for.

Asked for the parties of a letter agreement, the 0.5B lists the lines of the letterhead's address
("Dallas, Texas", "Seoul 135-090", "The Netherlands") and where a person resides ("a resident of
Hampden, Maine"). A value is taken for a place when it holds a street or ends in a postal code, or
when the text writes it only in an address: just before a postal code (maybe past a state or
region: "Dallas, Texas 75251"), just after one ("135-090 Korea") or after "a resident of".
"""

from __future__ import annotations

import re

from longdoc.extraction.profiles.legal_forms import LEGAL_FORM
from longdoc.extraction.writing import spaced

# US ZIP, Korean, Dutch and British postal codes: "97070", "75251-1234", "135-090", "1118 BJ", "SW1A 1AA".
_POSTCODE = r"(?:\d{5}(?:-\d{4})?|\d{3}-\d{3}|\d{4}\s?[A-Z]{2}(?!:)|[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2})\b"
_REGION = r"(?:[A-Z]{2}\.?|[A-Z][\w-]+(?:\s[A-Z][\w-]+)?)"  # "OR", "Texas", "New York", "Gangnam-gu Seoul"
_STREET = re.compile(
    r"\b(?:Street|Avenue|Ave\.|Road|Drive|Boulevard|Blvd\.|Parkway|Suite|Floor|Tower|P\.?\s?O\.?\s+Box)\b"
    rf"|(?<![\w-]){_POSTCODE}$|^{_POSTCODE}\s"
)
_BEFORE_POSTCODE = re.compile(rf"[\s,.]*(?:{_REGION}[\s,.]+)?{_POSTCODE}")
# "135-090 Korea", "1118 BJ Schiphol The Netherlands": a postal code, maybe its town, then the value.
_AFTER_POSTCODE = re.compile(rf"{_POSTCODE}[\s,]*(?:[A-Z][\w-]+[\s,]+)?$")
_RESIDENCE = re.compile(
    r"\b(?:resident\s+of|residing\s+(?:at|in)|located\s+(?:at|in)|headquartered\s+in)[\s,]*$", re.IGNORECASE
)
_NAMED_COMPANY = re.compile(rf"{LEGAL_FORM}$")


def is_place(value: str, text: str) -> bool:
    """Whether ``value`` is a place or part of an address rather than a name (never one ending in a
    legal form: "Tower Semiconductor Ltd.")."""
    name = value.strip()
    if not name or _NAMED_COMPANY.search(name):
        return False
    if _STREET.search(name):
        return True
    found = list(re.finditer(rf"(?<!\w){spaced(name)}(?!\w)", text))
    return bool(found) and all(_in_address(text, m.start(), m.end()) for m in found)


def _in_address(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 40) : start]
    return bool(
        _BEFORE_POSTCODE.match(text, end, end + 40)
        or _AFTER_POSTCODE.search(before)
        or _RESIDENCE.search(before)
    )
