"""How documents write the values extraction looks for: words across line breaks, quotes, the
legal forms that end a company's name."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

_T = TypeVar("_T")

_APOSTROPHE = "['’‘]"
QUOTES = "\"'“”‘’「」『』"
# Legal forms that end a company's name, as written in names ("Inc.", "INC."), so that "a Delaware
# corporation" is not one; "Company" is left out: "the Company" is a defined term.
_FORMS = ("Inc", "Incorporated", "Corp", "Corporation", "Co", "LLC", "L.L.C", "Ltd", "Limited", "L.P",
          "LP", "LLP", "L.L.P", "P.C", "PLC", "plc", "GmbH", "AG", "S.A", "SA", "N.V", "B.V", "S.p.A",
          "SE", "Pty", "Pte", "K.K")  # fmt: skip
LEGAL_FORM = (
    "(?:"
    + "|".join(re.escape(f) for f in sorted({*_FORMS, *(f.upper() for f in _FORMS)}, key=len, reverse=True))
    + r")(?![\w])\.?"
)


def spaced(value: str) -> str:
    """A pattern for ``value``'s words with any run of spaces or line breaks between them, and any
    apostrophe for one ("Roundy's" finds "Roundy’s")."""
    return r"\s+".join(
        "".join(_APOSTROPHE if c in "'’‘" else re.escape(c) for c in word) for word in value.split()
    )


def alone(value: str, find: Callable[[str], Iterable[tuple[_T, int, int]]]) -> _T | None:
    """What ``find`` reads in ``value`` when ``value`` is nothing else (a full stop aside); else None."""
    stripped = value.strip().rstrip(".")
    return next((found for found, start, end in find(stripped) if start == 0 and end == len(stripped)), None)
