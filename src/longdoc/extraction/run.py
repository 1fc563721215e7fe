"""One extraction carried out: every part read under the part schema, then merged, typed, checked.

Each part is a separate constrained request (the embedded model decodes under the schema's
grammar; other backends are wrapped by the validate-and-retry guard). An answer cut at
``max_tokens`` keeps its complete items. Values take the text's spelling, and the profile the
request names, if any, corrects them (``profiles``); every value is aligned to the part's text,
and a list item most of whose values are not found there, or a single object's value that is
not, is dropped (``drop_ungrounded``). Dates and numbers are read by each document's conventions
(``conventions``). A single object's required field no part gave is asked once more, of the
part that matches it best, where null is not an answer. The parts' items are then made one
answer (``assembly``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from longdoc.chat.context import ContextReport, FailedPart, Passage
from longdoc.chat.engine import Extracted
from longdoc.config import ExtractionSettings
from longdoc.context.map_reduce import Progress, location
from longdoc.context.parts import Part, read_parts
from longdoc.core.errors import LongdocError, ModelUnavailable, RateLimited
from longdoc.documents.ready import ReadyDocument
from longdoc.extraction.answers import ask
from longdoc.extraction.assembly import Assembly
from longdoc.extraction.conventions import conventions_of, told
from longdoc.extraction.durations import with_units
from longdoc.extraction.evidence import (
    mostly_grounded,
    read_through,
    spelt_as_written,
    supported,
    without_file_names,
)
from longdoc.extraction.grounding import Grounding, NormalisedText, align, leaves
from longdoc.extraction.job import ExtractionJob, located
from longdoc.extraction.merge import Item, dedupe_keys
from longdoc.extraction.normalise import conform, wants_iso_date
from longdoc.extraction.quantities import placed
from longdoc.extraction.repair import mend_codes, mend_dates, mend_numbers
from longdoc.extraction.rows import unshared
from longdoc.extraction.schema import descriptions, kinds_of, part_schema, without_null
from longdoc.extraction.siblings import without_siblings
from longdoc.extraction.validation import needed_fields, salvage_array, salvage_object
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
# a required field no part gave, asked again where it must be answered
AGAIN_SHAPE = "JSON object with the {keys} this part writes (values copied as written):"


@dataclass
class PartResult:
    part: Part
    items: list[Item] = field(default_factory=list)
    completion_tokens: int = 0
    failed: str | None = None


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
        self._header_tokens = 0
        self._again_tokens = 0

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
        again = self._asked_again(ordered, cancel)
        assembly = Assembly(self._job, self._conventions, self._header_answer)
        value = self._job.target.wrap(assembly.answer([item for r in ordered for item in r.items] + again))
        self._notes.extend(assembly.notes)
        yield Extracted(
            json.dumps(value, ensure_ascii=False), spent + self._header_tokens + self._again_tokens
        )

    def _header_answer(self, messages: Sequence[ChatMessage], params: GenerationParams) -> str | None:
        """The model's answer about a table's header (``headers``); None if it gave none."""
        try:
            answer = ask(
                self._backend, messages, params, None, "a table's header", self._settings.part_retries
            )
        except LongdocError as exc:  # the parts are read: their answer stands without the header's
            log.warning("extraction: a table's header was not read: %s", exc.message)
            return None
        self._header_tokens += answer.usage.completion_tokens
        log.debug("extraction header: %s", answer.text)
        return answer.text

    def _extract(self, part: Part, cancel: threading.Event | None) -> PartResult:
        job = self._job
        keys = ", ".join(job.target.fields) or "the task asks for"
        shape = (ARRAY_SHAPE if job.target.is_array else OBJECT_SHAPE).format(keys=keys)
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
            messages = self._messages(part, more + shape)
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

    def _messages(self, part: Part, shape: str, named: bool = True) -> list[ChatMessage]:
        """A part's prompt, asking for ``shape``; labelled with its file's name unless not ``named``
        (then by its place: a small model asked for a value it could not find copies the name)."""
        job = self._job
        document, index = job.documents[part.source], job.indexes[part.source]
        name = f'"{document.name}"' if named else f"document {part.source + 1} of {len(job.documents)}"
        label = f"Part {part.number} of {len(job.parts)}: " + location(name, part.first_page, part.last_page)
        text = part.text(document.document.text, index)
        prompt = PROMPT.format(
            instruction=job.instruction, label=job.examples + label, text=text, shape=shape
        )
        return [ChatMessage(role="system", content=SYSTEM), ChatMessage(role="user", content=prompt)]

    def _asked_again(self, results: list[PartResult], cancel: threading.Event | None) -> list[Item]:
        """The required fields no part gave (of a schema derived from the instruction, every field
        it names), asked once more of the part whose words match them best, under a schema that
        takes no null: a small model writes null for a value it is unsure of ("Total Includes GST
        0% 8.20"). Only values written in that part are kept, and choices among the schema's."""
        job = self._job
        if job.target.is_array or not job.parts:
            return []
        given = {
            name
            for result in results
            for item in result.items
            if isinstance(item.value, dict)
            for name, value in item.value.items()
            if value not in (None, "", [])
        }
        properties = job.target.item_schema.get("properties", {})
        # the fields the caller requires; of a schema read from the instruction, every field it names
        wanted = (
            {n for n, sub in properties.items() if not kinds_of(sub) & {"array", "object"}}
            if job.target.derived
            else self._needed
        )
        missing = [name for name in job.target.fields if name in wanted and name not in given]
        if not missing:
            return []
        part = max(job.parts, key=lambda p: sum(job.relevance.get(n, {}).get(p.number, 0.0) for n in missing))
        loose = self._schema["properties"]
        schema = {
            "type": "object",
            "properties": {name: without_null(loose[name]) for name in missing},
            "required": missing,
        }
        shape = AGAIN_SHAPE.format(keys=", ".join(missing))
        params = GenerationParams(
            json_schema=schema, temperature=0.0, max_tokens=self._settings.part_output_tokens
        )
        where = f"part {part.number} of {len(job.parts)}, asked again"
        try:
            answer = ask(
                self._backend,
                self._messages(part, shape, named=False),
                params,
                cancel,
                where,
                self._settings.part_retries,
            )
        except (ModelUnavailable, RateLimited):
            raise
        except LongdocError as exc:  # the parts' answer stands without these fields
            log.warning("extraction: %s: %s", where, exc.message)
            return []
        self._again_tokens += answer.usage.completion_tokens
        log.debug("extraction %s: %s", where, answer.text)
        value, problem = schema_problem(answer.text, schema)
        if problem is not None:
            return []
        # a choice among the caller's options (an enum, a boolean) is not written as such
        chosen = {n for n in missing if "enum" in properties[n] or "boolean" in kinds_of(properties[n])}
        items = []
        for item in self._items(part, value):
            written = {s.field for s in item.sources} | chosen
            kept = {name: v for name, v in item.value.items() if name in written}
            if kept:
                items.append(Item(kept, item.part, item.sources))
        return items

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
                    sources.append(located(name, start, end, "fuzzy", document))
            if isinstance(surface, dict):
                for name, day, start, end in mend_dates(
                    surface, sources, part_text, part.start, self._needed_dates, conventions.day_first
                ):
                    surface = {**surface, name: day}
                    sources.append(located(name, start, end, "exact", document))
                for name, number, start, end in mend_numbers(
                    surface, sources, part_text, part.start, self._numbers, conventions.decimal_comma
                ):
                    surface = {**surface, name: number}
                    sources = [s for s in sources if s.field != name]
                    sources.append(located(name, start, end, "exact", document))
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
                yield located(
                    name, start, end, span.match, document, leaf if isinstance(value, list) else None
                )


def _whole(item: Item) -> str:
    return json.dumps(item.value, ensure_ascii=False, sort_keys=True)


def _empty(surface: Any) -> bool:
    return surface is None or (
        isinstance(surface, dict) and all(v in (None, "", []) for v in surface.values())
    )
