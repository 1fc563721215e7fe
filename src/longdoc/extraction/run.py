"""One extraction carried out: every part read under the part schema, then merged, typed, checked.

Each part is a separate constrained request (the embedded model decodes under the schema's
grammar; other backends are wrapped by the validate-and-retry guard). An answer cut at
``max_tokens`` keeps its complete items. Values take the text's spelling, and the profile the
request names, if any, corrects them (``profiles``); every value is aligned to the part's text,
and a list item most of whose values are not found there, or a single object's value that is
not, is dropped (``drop_ungrounded``). Dates and numbers are read by each document's conventions
(``conventions``). A date the documents label with the field's words outweighs the model's
(``labels``), as does what the profile's rules find. A list is read again from the tables its
items came from (``table_items``), and lines read as items are left out. The merged answer is
validated against the final schema before it is returned; items that fail it are left out and
the report says so.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from longdoc.chat.context import ContextReport, FailedPart, Passage
from longdoc.chat.engine import Extracted
from longdoc.config import ExtractionSettings
from longdoc.context.lexical import LexicalIndex
from longdoc.context.map_reduce import Progress, location
from longdoc.context.parts import Part, read_parts
from longdoc.core.errors import LongdocError, ModelUnavailable, RateLimited
from longdoc.documents.ready import ReadyDocument
from longdoc.extraction.answers import ask
from longdoc.extraction.cells import Cell
from longdoc.extraction.conventions import conventions_of, told
from longdoc.extraction.durations import with_units
from longdoc.extraction.evidence import (
    mostly_grounded,
    read_through,
    spelt_as_written,
    supported,
    without_file_names,
)
from longdoc.extraction.grounding import Grounding, Match, NormalisedText, align, leaves
from longdoc.extraction.labels import labelled_span, same_day
from longdoc.extraction.merge import Item, dedupe_keys, merge_items, merge_objects
from longdoc.extraction.normalise import conform, wants_iso_date
from longdoc.extraction.profiles import NO_PROFILE, Profile
from longdoc.extraction.quantities import placed
from longdoc.extraction.repair import mend_codes, mend_dates, mend_numbers
from longdoc.extraction.rows import unshared
from longdoc.extraction.schema import TargetSchema, descriptions, kinds_of, part_schema
from longdoc.extraction.siblings import without_siblings
from longdoc.extraction.table_items import with_table_items
from longdoc.extraction.validation import (
    complete_object,
    needed_fields,
    salvage_array,
    salvage_object,
    valid_items,
    validation_problem,
    without_strays,
)
from longdoc.inference.base import ChatMessage, GenerationParams, InferenceBackend
from longdoc.inference.json_guard import schema_problem

log = logging.getLogger(__name__)

SYSTEM = (
    "You extract structured data from documents. You copy values exactly as they are written in "
    "the text, never invent them, and answer with JSON only."
)
# The task first and the ask last, right before the answer: small models follow what they read last.
# The caller's examples, if any, stand between the task and the part's label.
PROMPT = "Task: {instruction}\n\n{label}\n<<<\n{text}\n>>>\n\n{shape}"
ARRAY_SHAPE = (
    "JSON array of every item of this part the task asks for, in the order they appear "
    "(keys {keys}; values copied as written, null where the part gives none):"
)
MORE = "Already listed from this part: {listed}.\n"
OBJECT_SHAPE = "JSON object for the task from this part (keys {keys}; values copied as written, null where the part gives none):"


@dataclass
class PartResult:
    part: Part
    items: list[Item] = field(default_factory=list)
    completion_tokens: int = 0
    failed: str | None = None


@dataclass(frozen=True)
class ExtractionJob:
    target: TargetSchema
    instruction: str
    documents: Sequence[ReadyDocument]
    indexes: Sequence[LexicalIndex]
    parts: Sequence[Part]
    grounding: bool = False
    keys: Sequence[str] = ()
    relevance: Mapping[str, Mapping[int, float]] = field(default_factory=dict)  # field → part → 0..1
    profile: Profile = NO_PROFILE  # the domain rules the request opted into
    examples: str = ""  # the caller's examples as every part's prompt shows them (``examples``)
    estimated_seconds: float = 0.0  # what the plan expected the reading to take (erring long)


class DocumentExtraction:
    """Implements chat's ``ExtractionRun`` for one request."""

    def __init__(self, job: ExtractionJob, backend: InferenceBackend, settings: ExtractionSettings) -> None:
        self._job = job
        self._backend = backend
        self._settings = settings
        self._schema = part_schema(job.target)
        caller = told(" ".join([job.instruction, *descriptions(job.target.schema)]))
        self._conventions = [conventions_of(d.document.text, caller) for d in job.documents]
        self._needed = needed_fields(job.target.item_schema)
        properties = job.target.item_schema.get("properties", {})
        self._needed_dates = [n for n in self._needed if wants_iso_date(properties[n])]
        self._numbers = [n for n, sub in properties.items() if kinds_of(sub) & {"number", "integer"}]
        self._notes: list[str] = []
        self._failed: list[PartResult] = []

    @property
    def report(self) -> ContextReport:
        return ContextReport(
            "extract",
            [self._passage(p) for p in self._job.parts],
            "; ".join(self._notes) or None,
            [FailedPart(r.part.number, self._passage(r.part), r.failed) for r in self._failed if r.failed],
        )

    def _passage(self, part: Part) -> Passage:
        document = self._job.documents[part.source]
        return Passage(document.file_id, document.name, part.first_page, part.start, part.end)

    def run(self, cancel: threading.Event | None) -> Iterator[Progress | Extracted]:
        parts = self._job.parts
        results: dict[int, PartResult] = {}
        yield Progress(0, len(parts))
        started = time.monotonic()
        lanes = max(1, min(self._backend.throughput.parallel_requests, len(parts)))
        for done, (part, result) in enumerate(read_parts(parts, self._extract, lanes, cancel), start=1):
            results[part.number] = result
            yield Progress(done, len(parts))
        spent = sum(r.completion_tokens for r in results.values())
        log.info(
            "extraction read %d of %d parts in %.1f s (estimated %.0f s)",
            len(results),
            len(parts),
            time.monotonic() - started,
            self._job.estimated_seconds,
        )
        if cancel is not None and cancel.is_set():
            yield Extracted("", spent, "cancelled")
            return
        ordered = [results[n] for n in sorted(results)]
        self._failed = [r for r in ordered if r.failed]
        if self._failed:
            self._notes.append(f"{len(self._failed)} of {len(parts)} parts gave no valid JSON")
        value = self._job.target.wrap(self._assemble(ordered))
        yield Extracted(json.dumps(value, ensure_ascii=False), spent)

    def _extract(self, part: Part, cancel: threading.Event | None) -> PartResult:
        job = self._job
        document, index = job.documents[part.source], job.indexes[part.source]
        label = f"Part {part.number} of {len(job.parts)}: " + location(
            f'"{document.name}"', part.first_page, part.last_page
        )
        keys = ", ".join(job.target.fields) or "the task asks for"
        shape = (ARRAY_SHAPE if job.target.is_array else OBJECT_SHAPE).format(keys=keys)
        text = part.text(document.document.text, index)
        where = f"part {part.number} of {len(job.parts)}"
        params = GenerationParams(
            json_schema=self._schema, temperature=0.0, max_tokens=self._settings.part_output_tokens
        )
        result = PartResult(part)
        seen: set[str] = set()
        # A small model stops after a few items: ask again for the rest until a pass adds nothing
        # or the items found account for the whole part.
        for _pass in range(self._settings.passes_per_part if job.target.is_array else 1):
            listed = ", ".join(sorted({self._label(item) for item in result.items}))
            more = MORE.format(listed=listed) if listed else ""
            prompt = PROMPT.format(
                instruction=job.instruction, label=job.examples + label, text=text, shape=more + shape
            )
            messages = [ChatMessage(role="system", content=SYSTEM), ChatMessage(role="user", content=prompt)]
            try:
                answer = ask(self._backend, messages, params, cancel, where, self._settings.part_retries)
            except (ModelUnavailable, RateLimited):
                raise  # the model cannot answer: the extraction fails rather than returning part of it
            except LongdocError as exc:  # the guard gave up on this part: the others still count
                log.warning("extraction part %d: %s", part.number, exc.message)
                result.failed = result.failed if result.items else exc.message
                return result
            result.completion_tokens += answer.usage.completion_tokens
            log.debug("extraction part %d pass %d: %s", part.number, _pass + 1, answer.text)
            value, problem = schema_problem(answer.text, self._schema)
            if problem is not None:
                salvage = salvage_array if job.target.is_array else salvage_object
                value, problem = salvage(answer.text, self._schema)
            if problem is not None:
                result.failed = result.failed if result.items else problem
                return result
            # fresh: not given whole by an earlier pass (one with the same name may be another item)
            fresh = [item for item in self._items(part, value) if _whole(item) not in seen]
            if not fresh:
                break
            result.items.extend(fresh)
            seen.update(_whole(item) for item in fresh)
            if read_through([item.sources for item in result.items], part.start, part.end):
                break
        return result

    def _label(self, item: Item) -> str:
        """How the prompt names an item already listed: its key fields' values."""
        keys = dedupe_keys(self._job.target.item_schema, self._job.keys).fields
        if isinstance(item.value, dict):
            named = [str(item.value.get(k)) for k in keys if item.value.get(k) not in (None, "")]
            return " / ".join(named) or json.dumps(item.value, ensure_ascii=False)
        return str(item.value)

    def _items(self, part: Part, value: Any) -> list[Item]:
        job = self._job
        document = job.documents[part.source]
        text = document.document.text
        window = NormalisedText(text[part.start : part.end])
        item_schema = job.target.item_schema
        part_text = text[part.start : part.end]
        raw = spelt_as_written(value if job.target.is_array else [value], part_text)
        raw = without_file_names(raw, document.name, part_text)
        raw = without_siblings(unshared(raw, {"items": item_schema}, part_text))
        if not job.target.derived:  # a derived field's type is a guess: "24" may be the number asked for
            raw = with_units(raw, {"items": item_schema}, part_text)
        conventions = self._conventions[part.source]
        # an item's measured fields from where it is written (the answer's own list, or lists in it)
        if job.target.is_array:
            raw = placed(raw, {"items": item_schema}, part_text, conventions.decimal_comma)
        else:
            raw = [placed(v, item_schema, part_text, conventions.decimal_comma) for v in raw]
        items: list[Item] = []
        for surface in raw:
            surface = job.profile.refine(surface, part_text, text)
            if _empty(surface):
                continue
            sources = list(self._ground(surface, window, part, document))
            if isinstance(surface, dict) and sources:
                for name, code, start, end in mend_codes(surface, sources, part_text, part.start):
                    surface = {**surface, name: code}
                    sources.append(self._source(name, start, end, "fuzzy", document))
            if isinstance(surface, dict):
                for name, day, start, end in mend_dates(
                    surface, sources, part_text, part.start, self._needed_dates, conventions.day_first
                ):
                    surface = {**surface, name: day}
                    sources.append(self._source(name, start, end, "exact", document))
                for name, number, start, end in mend_numbers(
                    surface, sources, part_text, part.start, self._numbers, conventions.decimal_comma
                ):
                    surface = {**surface, name: number}
                    sources.append(self._source(name, start, end, "exact", document))
            if self._settings.drop_ungrounded and isinstance(surface, dict) and not job.target.is_array:
                surface = supported(surface, sources, self._needed)
                if _empty(surface):
                    continue
            elif (
                job.target.is_array
                and self._settings.drop_ungrounded
                and not mostly_grounded(surface, sources)
            ):
                continue
            typed = conform(surface, item_schema, job.target.plain_numbers, conventions=conventions)
            items.append(Item(typed, part.number, sources))
        return items

    def _ground(
        self, surface: Any, window: NormalisedText, part: Part, document: ReadyDocument
    ) -> Iterator[Grounding]:
        fields = surface.items() if isinstance(surface, dict) else [("value", surface)]
        conventions = self._conventions[part.source]
        for name, value in fields:
            for leaf in leaves(value):
                span = align(
                    leaf,
                    window,
                    self._settings.fuzzy_threshold,
                    conventions.day_first,
                    conventions.decimal_comma,
                )
                if span is None:
                    continue
                start, end = part.start + span.start, part.start + span.end
                yield self._source(
                    name, start, end, span.match, document, leaf if isinstance(value, list) else None
                )

    @staticmethod
    def _source(
        name: str, start: int, end: int, match: Match, document: ReadyDocument, value: str | None = None
    ) -> Grounding:
        text = document.document.text
        page = document.document.page_at(start)
        return Grounding(
            name, document.file_id or document.key, page, start, end, text[start:end], match, value
        )

    def _assemble(self, results: Sequence[PartResult]) -> Any:
        job = self._job
        items = [item for result in results for item in result.items]
        if job.target.is_array:
            items, unlike = with_table_items(
                items, job.parts, [d.document.text for d in job.documents], self._typed, self._cell
            )
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
        item = merge_objects(items, job.target.schema, job.keys, job.relevance, job.profile)
        self._take_labelled_values(item)
        value, filled, dropped = complete_object(item.value, job.target.schema)
        if filled:
            self._notes.append("not found in the documents: " + ", ".join(filled))
        self._note(dropped, "extracted list elements failed the schema and were left out")
        problem = validation_problem(value, job.target.schema)
        if problem is not None:
            raise SchemaNotMet(f"the extracted object does not match the schema: {problem}")
        item.value = value
        return self._with_sources(item)

    def _typed(self, cells: dict[str, str], source: int) -> Any:
        job = self._job
        return conform(
            cells, job.target.item_schema, job.target.plain_numbers, conventions=self._conventions[source]
        )

    def _cell(self, name: str, cell: Cell, source: int) -> Grounding:
        return self._source(name, cell.start, cell.end, "exact", self._job.documents[source])

    def _note(self, count: int, what: str) -> None:
        if count:
            self._notes.append(f"{count} {what}")

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
            item.sources.append(self._source(name, start, end, "exact", self._job.documents[position]))

    def _with_sources(self, item: Item) -> Any:
        if not self._job.grounding or not isinstance(item.value, dict):
            return item.value
        return {**item.value, "_source": [s.wire() for s in item.sources]}


class SchemaNotMet(LongdocError):
    """The merged extraction cannot be made to match the requested schema."""

    openai_code = "invalid_model_output"


def _whole(item: Item) -> str:
    return json.dumps(item.value, ensure_ascii=False, sort_keys=True)


def _empty(surface: Any) -> bool:
    return surface is None or (
        isinstance(surface, dict) and all(v in (None, "", []) for v in surface.values())
    )
