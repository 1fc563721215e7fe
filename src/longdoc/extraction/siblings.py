"""A value that carries another field's value of the same object.

Documents often write two fields on one line ("Software Engineer — Brightline Analytics Ltd.",
"Aurora Phone | HX-100"), and a small model copies the whole line into one of them. When a string
value begins or ends with the whole value of another field of its object, set off by a dash, a
pipe or "at"/"@", that part is the other field's and is cut off. A comma is not such a mark: an
address ends with its city, which a city field may hold too.
"""

from __future__ import annotations

import re
from typing import Any

_MARK = r"\s*(?:[—–|@]|\s-|\bat\b)\s*"


def without_siblings(surface: Any) -> Any:
    """``surface`` with, in every object at any depth, each string value cut free of another
    field's whole value that it carries at its start or end."""
    if isinstance(surface, list):
        return [without_siblings(v) for v in surface]
    if not isinstance(surface, dict):
        return surface
    values = {name: without_siblings(v) for name, v in surface.items()}
    others = {name: v.strip() for name, v in values.items() if isinstance(v, str) and v.strip()}
    for name, value in others.items():
        for other_name, other in others.items():
            if other_name == name or len(other) >= len(value):
                continue
            escaped = re.escape(other)
            cut = re.sub(rf"^{escaped}{_MARK}|{_MARK}{escaped}$", "", value, flags=re.IGNORECASE)
            if cut != value and cut.strip():
                values[name] = cut.strip()
                break
    return values
