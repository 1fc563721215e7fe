"""Reading every part of the documents with the question, then combining the notes.

Map: each part (consecutive chunks of one document, up to what one prompt holds) is read with
the question, and the model notes what in it is relevant — or ``NONE``. Reduce: while the notes
are more than one prompt holds, consecutive notes are combined group by group. Each part is
numbered; notes keep the numbers of the parts they came from, so the answer can cite them [n].

The parts (``context.parts``) are read in parallel on backends that serve several requests at
once (upstream servers), one after another on the embedded model.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from longdoc.context.parts import Part, read_parts
from longdoc.context.tokens import TokenCounter
from longdoc.inference.base import ChatMessage, GenerationParams, InferenceBackend

if TYPE_CHECKING:
    from longdoc.context.plans import MapReducePlan, PlanSource

# The map prompt's words around a part (instructions, the part's label); the question comes on top.
MAP_OVERHEAD_TOKENS = 160
NOTHING = "NONE"

MAP_SYSTEM = "You read one part of a longer text and take short notes for a task."
MAP_PROMPT = (
    "{label}\n<<<\n{text}\n>>>\n\nTask: {question}\n\n"
    "From this part only, write down what is relevant to the task: the facts, names, numbers and "
    "short quotes needed, in a few lines. If nothing in this part is relevant, answer exactly: NONE"
)
REDUCE_PROMPT = (
    "Notes taken from parts of the documents; each starts with the number of its part:\n\n{notes}\n\n"
    "Task: {question}\n\nCombine these notes into one shorter set of notes for the task. Keep every "
    "relevant fact, and keep the part numbers in brackets, like [3], after the facts that came from them."
)


@dataclass(frozen=True)
class Note:
    parts: tuple[int, ...]  # numbers of the parts it came from
    text: str


@dataclass(frozen=True)
class Progress:
    done: int
    total: int


def location(name: str, first_page: int | None, last_page: int | None = None) -> str:
    """``name, page 3`` / ``name, pages 3–7`` / ``name``: where a passage or part sits."""
    if first_page is None:
        return name
    if last_page is None or last_page == first_page:
        return f"{name}, page {first_page}"
    return f"{name}, pages {first_page}–{last_page}"


class MapReduceRun:
    """Carries out a ``MapReducePlan`` on a backend: the notes the answer is written from."""

    def __init__(
        self,
        plan: MapReducePlan,
        sources: Sequence[PlanSource],
        backend: InferenceBackend,
        counter: TokenCounter,
        *,
        note_tokens: int,
    ) -> None:
        self._plan = plan
        self._sources = sources
        self._indexes = plan.indexes
        self._backend = backend
        self._counter = counter
        self._note_tokens = note_tokens

    def notes(self, cancel: threading.Event | None = None) -> Iterator[Progress | list[Note]]:
        """``Progress`` after each map step, then the combined notes (last item). Stops early
        (yielding what it has) once ``cancel`` is set."""
        total = len(self._plan.parts)
        found: dict[int, Note] = {}
        lanes = max(1, min(self._backend.throughput.parallel_requests, total))
        yield Progress(0, total)
        for done, (part, note) in enumerate(read_parts(self._plan.parts, self._map, lanes, cancel), start=1):
            if note is not None:
                found[part.number] = note
            yield Progress(done, total)
        notes = [found[n] for n in sorted(found)]
        yield self._reduce(notes, cancel)

    def _map(self, part: Part, cancel: threading.Event | None) -> Note | None:
        if cancel is not None and cancel.is_set():
            return None
        source, index = self._sources[part.source], self._indexes[part.source]
        text = part.text(source.document.text, index)
        label = f"[{part.number}] Part {part.number} of {len(self._plan.parts)}: " + location(
            f'"{source.name}"', part.first_page, part.last_page
        )
        prompt = MAP_PROMPT.format(label=label, text=text, question=self._plan.question)
        reply = self._ask(
            [ChatMessage(role="system", content=MAP_SYSTEM), ChatMessage(role="user", content=prompt)], cancel
        )
        if not reply or reply.strip(" .\n\"'").upper().startswith(NOTHING):
            return None
        return Note((part.number,), reply)

    def _reduce(self, notes: list[Note], cancel: threading.Event | None) -> list[Note]:
        """Combine consecutive notes group by group until they fit one prompt."""
        room = self._plan.room_tokens
        while len(notes) > 1 and self._tokens(notes) > room:
            if cancel is not None and cancel.is_set():
                break
            groups = self._groups(notes, room)
            if len(groups) == len(notes):  # each note alone fills a prompt: keep the first ones that fit
                break
            notes = [self._combine(group, cancel) if len(group) > 1 else group[0] for group in groups]
        while len(notes) > 1 and self._tokens(notes) > room:
            notes = notes[:-1]
        return notes

    def _groups(self, notes: list[Note], room: int) -> list[list[Note]]:
        groups: list[list[Note]] = [[]]
        used = 0
        for note in notes:
            size = self._counter.count(render_note(note)) + 2
            if groups[-1] and used + size > room - MAP_OVERHEAD_TOKENS:
                groups.append([])
                used = 0
            groups[-1].append(note)
            used += size
        return groups

    def _combine(self, group: list[Note], cancel: threading.Event | None) -> Note:
        notes = "\n\n".join(render_note(n) for n in group)
        prompt = REDUCE_PROMPT.format(notes=notes, question=self._plan.question)
        reply = self._ask(
            [ChatMessage(role="system", content=MAP_SYSTEM), ChatMessage(role="user", content=prompt)], cancel
        )
        return Note(tuple(n for note in group for n in note.parts), reply)

    def _tokens(self, notes: Sequence[Note]) -> int:
        return sum(self._counter.count(render_note(n)) + 2 for n in notes)

    def _ask(self, messages: list[ChatMessage], cancel: threading.Event | None) -> str:
        params = GenerationParams(max_tokens=self._note_tokens, temperature=0.0)
        return self._backend.complete(messages, params, cancel).text.strip()


def render_note(note: Note) -> str:
    marks = (
        "".join(f"[{n}]" for n in note.parts)
        if len(note.parts) <= 8
        else f"[{note.parts[0]}]–[{note.parts[-1]}]"
    )
    return f"{marks} {note.text}"
