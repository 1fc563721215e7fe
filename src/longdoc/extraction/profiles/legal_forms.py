"""The legal forms that end a company's name ("Inc.", "GmbH", "S.p.A."), for the contracts profile.

Only a profile for documents that name companies may read "SE", "AG" or "Limited" as a legal form:
elsewhere they belong to the value ("iPhone SE", "Ford F-150 Limited").
"""

from __future__ import annotations

import re

# As written in names ("Inc.", "INC."), so that "a Delaware corporation" is not one; "Company" is
# left out: "the Company" is a defined term.
_FORMS = ("Inc", "Incorporated", "Corp", "Corporation", "Co", "LLC", "L.L.C", "Ltd", "Limited", "L.P",
          "LP", "LLP", "L.L.P", "P.C", "PLC", "plc", "GmbH", "AG", "S.A", "SA", "N.V", "B.V", "S.p.A",
          "SE", "Pty", "Pte", "K.K")  # fmt: skip
LEGAL_FORM = (
    "(?:"
    + "|".join(re.escape(f) for f in sorted({*_FORMS, *(f.upper() for f in _FORMS)}, key=len, reverse=True))
    + r")(?![\w])\.?"
)
TRAILING_FORM = re.compile(r"(?:,?\s+" + LEGAL_FORM + r")+$", re.IGNORECASE)


def entity_key(folded: str) -> str:
    """A case-folded name without its trailing legal form ("kite pharma, inc." → "kite pharma")."""
    return TRAILING_FORM.sub("", folded)
