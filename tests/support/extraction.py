"""Extraction values for unit tests."""

from __future__ import annotations

from longdoc.extraction.grounding import Grounding, Match


def grounded(
    field: str, start: int = 0, end: int = 0, match: Match = "exact", value: str | None = None
) -> Grounding:
    """Where ``field`` (or its list element ``value``) is written: only what a test looks at is given."""
    return Grounding(field, "file-fe-x", None, start, end, "", match, value)
