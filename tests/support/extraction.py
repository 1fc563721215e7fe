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


# A mutual NDA as the contract tests read it: parties with defined terms, a state of incorporation
# and a governing-law clause, an effective date and a signing date, a term and a restriction's period.
NDA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "party": {
            "type": "array",
            "items": {"type": "string"},
            "description": "every party to the agreement",
        },
        "jurisdiction": {"type": ["string", "null"], "description": "the US state whose law governs"},
        "effective_date": {"type": ["string", "null"], "description": "the date the agreement takes effect"},
        "term": {
            "type": ["string", "null"],
            "description": "how long the agreement remains in effect before it expires",
        },
    },
    "required": ["party", "jurisdiction", "effective_date", "term"],
}
_CLAUSE = (
    "{n}. Confidential Information disclosed under this Agreement shall be used only for the Purpose. "
    "The Recipient shall protect it with the care it uses for its own information of like importance, "
    "shall disclose it only to those of its employees and advisers who need to know it, and shall "
    "return or destroy it on request, keeping no copies except as required by applicable regulation."
)


def nda(clauses: int) -> str:
    """The NDA with ``clauses`` ordinary clauses between its opening and its term clause."""
    return "\n\n".join(
        [
            "MUTUAL CONFIDENTIALITY AGREEMENT\n\nThis Agreement is effective as of February 10, 2017, between "
            "Kite Pharma, Inc., a Delaware corporation (“Kite”), and Gilead Sciences, Inc., a Delaware "
            "corporation (the “Company”).",
            *(_CLAUSE.format(n=n) for n in range(1, clauses + 1)),
            f"{clauses + 1}. This Agreement shall be governed by the laws of the State of California. This "
            "Agreement shall expire five (5) years after its effective date. The Recipient shall not solicit "
            "the Company's employees while it lasts and for one (1) year thereafter.",
            "KITE PHARMA, INC.\nBy: Jane Roe, Chief Executive Officer\nDate: March 1, 2017\n\n"
            "GILEAD SCIENCES, INC.\nBy: John Doe, Secretary",
        ]
    )
