"""What an extraction profile may change: the hooks the core consults, and no profile at all.

The core knows no domain: it types, grounds and merges what the schema asks for. A profile adds
the rules of one kind of document, and only a request that names it runs them. ``Profile`` itself
is "no profile": each hook hands back what it is given, so the core calls the hooks without
asking whether a profile was chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from longdoc.extraction.merge import Item

# (text index, start, end) of the value the texts label for a field; () when they label the
# chosen value as no answer; None when the profile has no rule for the field.
Labelled = tuple[int, int, int] | tuple[()] | None


class Profile:
    name = "none"

    def refine(self, surface: Any, part_text: str, document_text: str) -> Any:
        """A part's answer (an item, or the object) with the profile's corrections: values dropped
        (None, or left out of a list) or rewritten, from the part's and the document's text."""
        return surface

    def comparable(self, folded: str) -> str:
        """A case-folded value reduced to what makes two values the same one when merging."""
        return folded

    def list_elements(self, elements: Sequence[Item]) -> list[Item]:
        """The elements a single object's list field keeps, merged from every part that lists any."""
        return list(elements)

    def labelled_span(self, name: str, schema: dict[str, Any], chosen: Any, texts: Sequence[str]) -> Labelled:
        """The value the documents label for the field, which outweighs ``chosen`` (see ``Labelled``)."""
        return None


NO_PROFILE = Profile()
