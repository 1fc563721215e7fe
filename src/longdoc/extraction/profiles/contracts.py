"""The contracts profile: rules for agreements (parties, defined terms, governing law, term).

Tuned on non-disclosure agreements (Kleister-NDA), where a small model names a defined term
(“Company”) for a party, cuts a name before its legal form, lists the letterhead's address or the
people who sign as parties, takes the state of incorporation for the governing law and a
restriction's period for the term. A request opts in by naming the profile ``contracts``; none of
these rules suits other documents ("IN" is a state, "USB Flash Drive" no address, "iPhone SE"
no company with its legal form).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from longdoc.extraction.profiles.base import Labelled, Profile
from longdoc.extraction.profiles.clauses import labelled_clause
from longdoc.extraction.profiles.legal_forms import entity_key
from longdoc.extraction.profiles.parties import DEFINITIONS_WINDOW, named

if TYPE_CHECKING:  # merge consults profiles: importing it here would be circular
    from longdoc.extraction.merge import Item


class ContractsProfile(Profile):
    name = "contracts"

    def refine(self, surface: Any, part_text: str, document_text: str) -> Any:
        """Defined terms, aliases and cut names made whole names; places, blanks, descriptions and
        function words dropped (``parties``)."""
        return named(surface, part_text, (part_text, document_text[:DEFINITIONS_WINDOW]))

    def comparable(self, folded: str) -> str:
        """A name without its legal form: "Nike" is "NIKE, Inc."."""
        return entity_key(folded)

    def list_elements(self, elements: Sequence[Item]) -> list[Item]:
        return _without_fragments(_agreed(elements))

    def labelled_span(self, name: str, schema: dict[str, Any], chosen: Any, texts: Sequence[str]) -> Labelled:
        """The governing law or the term the clauses label (``clauses``)."""
        return labelled_clause(name, schema, chosen, texts)


def _agreed(elements: Sequence[Item]) -> list[Item]:
    """The elements that the earliest part listing any gave, or several parts did: a part of a
    contract read alone names things the contract's list does not hold (the people signing it are
    not its parties)."""
    if not elements:
        return []
    first = min(e.part for e in elements)
    return [e for e in elements if e.part == first or len({e.part, *e.repeats}) > 1]


def _without_fragments(elements: Sequence[Item]) -> list[Item]:
    """The elements that are not a run of another's words ("Roebuck and Co." beside "Sears, Roebuck
    and Co."): a small model splits a name at its commas."""
    words = [
        " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", e.value).casefold()))
        if isinstance(e.value, str)
        else ""
        for e in elements
    ]
    return [
        e
        for e, mine in zip(elements, words, strict=True)
        if not isinstance(e.value, str)
        or not any(mine != other and f" {mine} " in f" {other} " for other in words)
    ]
