"""How documents write the values extraction looks for: words across line breaks, quotes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

_T = TypeVar("_T")

_APOSTROPHE = "['’‘]"
_WORD = re.compile(r"[^\W\d_]{3}")
QUOTES = "\"'“”‘’「」『』"


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


def names_something(value: object) -> bool:
    """Whether ``value`` is text with a word in it (three letters running), not a number or a code."""
    return isinstance(value, str) and _WORD.search(value) is not None
