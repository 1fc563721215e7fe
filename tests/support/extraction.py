"""Extraction values for unit tests."""

from __future__ import annotations

from typing import Any

from longdoc.extraction.grounding import Grounding, Match

# Values any schema may ask for that contract rules once damaged (issue #16), in one text.
NEUTRAL_TEXT = (
    "Warehouse report. Shipping state: IN. Country: AT. Status: on. Bestsellers: USB Flash Drive, "
    "Tower Fan and 10000 mAh Power Bank. Owners: Alibaba Group Holding Limited, 阿里巴巴集团 and 蚂蚁集团. "
    "The quarter was strong, and its margins improved over the year. The settings file (“config.yaml”) "
    "holds the paths. Sold to Tyco Healthcare Group LP d/b/a Covidien. The kettle comes with a "
    "stainless steel body, a waterproof design and USB-C."
)
NEUTRAL_VALUES: dict[str, Any] = {
    "state": "IN",
    "country": "AT",
    "status": "on",
    "product_names": ["USB Flash Drive", "Tower Fan", "10000 mAh Power Bank"],
    "company_names": ["Alibaba Group Holding Limited", "阿里巴巴集团", "蚂蚁集团"],
    "summary": "The quarter was strong, and its margins improved over the year.",
    "filename": "config.yaml",
    "trade_name": "Covidien",
    "features": ["stainless steel body", "waterproof design", "USB-C"],
}


def grounded(
    field: str, start: int = 0, end: int = 0, match: Match = "exact", value: str | None = None
) -> Grounding:
    """Where ``field`` (or its list element ``value``) is written: only what a test looks at is given."""
    return Grounding(field, "file-fe-x", None, start, end, "", match, value)


def schema_of(values: dict[str, Any]) -> dict[str, Any]:
    """An object schema with a string list for each list in ``values`` and a string for the rest."""
    properties = {
        name: {"type": "array", "items": {"type": "string"}}
        if isinstance(v, list)
        else {"type": ["string", "null"]}
        for name, v in values.items()
    }
    return {"type": "object", "properties": properties}
