"""The parts' items made one answer.

A list answer's items are read again from the tables they came from (``table_items``), merged
where they repeat (``merge``), lines read as items left out, and each completed to the schema. A
single object is merged field by field from every part's object (its lists of objects read again
from their tables too), fields the documents label take the labelled value (``labels``, and the
profile's rules first), and the whole is checked against the schema. What was left out or filled
in is noted for the report.
"""

from __future__ import annotations

from typing import Any

from longdoc.core.errors import LongdocError
from longdoc.extraction.cells import Cell
from longdoc.extraction.conventions import Conventions
from longdoc.extraction.grounding import Grounding
from longdoc.extraction.headers import Answer, HeaderColumns
from longdoc.extraction.job import ExtractionJob, located
from longdoc.extraction.labels import labelled_span, same_day
from longdoc.extraction.merge import Item, dedupe_keys, merge_items, merge_objects
from longdoc.extraction.normalise import conform
from longdoc.extraction.table_items import Ground, Typed, with_table_items
from longdoc.extraction.validation import (
    complete_object,
    valid_items,
    validation_problem,
    without_strays,
)


class SchemaNotMet(LongdocError):
    """The merged extraction cannot be made to match the requested schema."""

    openai_code = "invalid_model_output"


class Assembly:
    """Assembles one extraction's answer; ``notes`` gathers what the report says of it."""

    def __init__(self, job: ExtractionJob, conventions: list[Conventions], answer: Answer) -> None:
        self._job = job
        self._conventions = conventions
        self._answer = answer  # the model, for the columns of a table's header (``headers``)
        self.notes: list[str] = []

    def answer(self, items: list[Item]) -> Any:
        """The answer the parts' items make, in the target's shape before it is wrapped."""
        job = self._job
        if job.target.is_array:
            texts = [d.document.text for d in job.documents]
            typed = self._typed(job.target.item_schema)
            columns = HeaderColumns(job.target.item_schema, self._answer)
            items, unlike = with_table_items(items, job.parts, texts, typed, self._grounder(), columns)
            merged = merge_items(items, dedupe_keys(job.target.item_schema, job.keys), job.profile)
            merged, strays = without_strays(merged, job.target.item_schema)
            missing = 0
            for item in merged:
                item.value, absent, _ = complete_object(item.value, job.target.item_schema)
                missing += len(absent)
            kept, dropped = valid_items(merged, job.target.schema)
            self._note(
                strays + unlike,
                "lines read as items were left out (a value the others give missing, or unlike the table's)",
            )
            self._note(missing, "required values not found in the documents were filled in")
            self._note(dropped, "extracted items failed the schema and were left out")
            return [self._with_sources(item) for item in kept]
        item = merge_objects(
            items, job.target.schema, job.keys, job.relevance, job.profile, self._table_elements
        )
        self._take_labelled_values(item)
        value, filled, dropped = complete_object(item.value, job.target.schema)
        if filled:
            self.notes.append("not found in the documents: " + ", ".join(filled))
        self._note(dropped, "extracted list elements failed the schema and were left out")
        problem = validation_problem(value, job.target.schema)
        if problem is not None:
            raise SchemaNotMet(f"the extracted object does not match the schema: {problem}")
        item.value = value
        return self._with_sources(item)

    def _table_elements(self, name: str, elements: list[Item]) -> list[Item]:
        """A list field's objects read again from the tables they came from (an invoice's lines)."""
        job = self._job
        schema = job.target.schema.get("properties", {}).get(name, {}).get("items", {})
        if schema.get("type") != "object":
            return elements

        texts = [d.document.text for d in job.documents]
        columns = HeaderColumns(schema, self._answer)
        typed = self._typed(schema)
        kept, unlike = with_table_items(elements, job.parts, texts, typed, self._grounder(name), columns)
        self._note(unlike, f"lines read as elements of {name} were left out (unlike the table's)")
        return kept

    def _typed(self, schema: dict[str, Any]) -> Typed:
        """A table row's cells (and its document) as an object of ``schema``."""
        plain = self._job.target.plain_numbers
        return lambda cells, source: conform(cells, schema, plain, conventions=self._conventions[source])

    def _grounder(self, list_field: str | None = None) -> Ground:
        """Grounds a table's cell under its own field, or under ``list_field`` as part of one of
        its elements (the cell's text then the element's value it grounds)."""

        def ground(name: str, cell: Cell, source: int) -> Grounding:
            document = self._job.documents[source]
            if list_field is None:
                return located(name, cell.start, cell.end, "exact", document)
            return located(list_field, cell.start, cell.end, "exact", document, cell.text)

        return ground

    def _note(self, count: int, what: str) -> None:
        if count:
            self.notes.append(f"{count} {what}")

    def _take_labelled_values(self, item: Item) -> None:
        """Fields whose value the documents label themselves take it (``labels``, and the profile's
        rules first)."""
        texts = [d.document.text for d in self._job.documents]
        day_first = [c.day_first for c in self._conventions]
        for name, sub in self._job.target.item_schema.get("properties", {}).items():
            if not isinstance(sub, dict) or sub.get("type") in ("array", "object"):
                continue
            found = self._job.profile.labelled_span(name, sub, item.value.get(name), texts)
            if found is None:
                found = labelled_span(name, sub, texts, day_first)
            if found is None:
                continue
            item.sources = [s for s in item.sources if s.field != name]
            if not found:  # the texts label the model's value as no part of what the field asks
                item.value[name] = None
                continue
            position, start, end = found
            written = texts[position][start:end]
            conventions = self._conventions[position]
            if not same_day(item.value.get(name), written, conventions.day_first):  # else keep the model's
                item.value[name] = conform(written, sub, self._job.target.plain_numbers, name, conventions)
            item.sources.append(located(name, start, end, "exact", self._job.documents[position]))

    def _with_sources(self, item: Item) -> Any:
        if not self._job.grounding or not isinstance(item.value, dict):
            return item.value
        return {**item.value, "_source": [s.wire() for s in item.sources]}
