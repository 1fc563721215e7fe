"""The chat engine: a request in, a stream of text and one final accounting event out.

``prepare`` does everything that can fail with a clear error — model lookup, documents, limits,
choosing the context plan and fitting the engine model's window — before a single byte is sent,
so a streamed response never starts for a request that cannot be answered. ``stream`` then only
generates (after reading the documents part by part, for a map-reduce plan).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol, overload

from longdoc.accounts.ledger import Billing, UsageLedger
from longdoc.chat.context import ContextFitter, ContextReport, FittedContext, MapReduceAnswer, Passage
from longdoc.chat.conversation import Conversation, Message, split_conversation
from longdoc.chat.documents import DocumentResolver
from longdoc.config import ContextSettings
from longdoc.context.dense import DenseRanking
from longdoc.context.map_reduce import Note, Progress
from longdoc.context.plans import ContextPlanner, Strategy
from longdoc.context.tokens import TokenCounter
from longdoc.core.errors import InvalidRequest, TooLarge
from longdoc.core.extraction import ExtractionOptions
from longdoc.documents.library import DocumentLibrary
from longdoc.documents.ready import ReadyDocument
from longdoc.inference.base import ChatMessage, GenerationParams, InferenceBackend, StreamEnd, TokenDelta
from longdoc.inference.catalog import Catalog, ModelEntry

log = logging.getLogger(__name__)

# ChatML adds a few tokens around every message; billed like the service does.
MESSAGE_OVERHEAD_TOKENS = 4


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: list[Message]
    params: GenerationParams = field(default_factory=GenerationParams)
    strategy: Strategy = "auto"  # x_context_strategy: how the documents are fitted to the model
    # read only by the extractor, when the request turns out to be an extraction
    extraction: ExtractionOptions = field(default_factory=ExtractionOptions)


__all__ = [
    "AnswerEnd",
    "AnswerEvent",
    "ChatEngine",
    "ChatRequest",
    "ContextReport",
    "Extracted",
    "ExtractionRun",
    "Extractor",
    "Passage",
    "PreparedChat",
    "Progress",
]


@dataclass(frozen=True)
class Extracted:
    """The end of an extraction: the final JSON text, and the tokens the model wrote for it."""

    text: str
    completion_tokens: int
    finish_reason: str = "stop"


class ExtractionRun(Protocol):
    """Structured extraction over a request's documents, carried out while streaming."""

    @property
    def report(self) -> ContextReport: ...

    def run(self, cancel: threading.Event | None) -> Iterator[Progress | Extracted]:
        """``Progress`` as parts are read, then one ``Extracted``."""
        ...


class Extractor(Protocol):
    """Decides whether a request is an extraction and plans it (the ``extraction`` package,
    which sits above chat, is handed in by the composition root)."""

    def plan(
        self,
        model: ModelEntry,
        backend: InferenceBackend,
        request: ChatRequest,
        conversation: Conversation,
        documents: list[ReadyDocument],
        *,
        bounded: bool = True,
    ) -> ExtractionRun | None:
        """The run for an extraction request, raising request errors now; None: answer as chat.
        ``bounded``: the caller waits for the answer, so its time is limited (not a batch line)."""
        ...


@dataclass(frozen=True)
class PreparedChat:
    model: ModelEntry
    backend: InferenceBackend
    messages: list[ChatMessage]
    params: GenerationParams
    billed_prompt_tokens: int
    context: ContextReport
    billing: Billing | None = None  # who pays; None: nobody (local use, ``longdoc ask``)
    map_reduce: MapReduceAnswer | None = None  # the parts to read before answering
    extraction: ExtractionRun | None = None  # structured extraction instead of a free answer


@dataclass(frozen=True)
class AnswerEnd:
    finish_reason: str  # stop, length, cancelled
    prompt_tokens: int  # as billed: every token of every referenced document
    completion_tokens: int
    cached_tokens: int
    context: ContextReport

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


AnswerEvent = TokenDelta | AnswerEnd
# ``Progress`` (parts read of a map-reduce) comes only to callers of ``stream(…, progress=True)``.


class ChatEngine:
    def __init__(
        self,
        library: DocumentLibrary | None,
        catalog: Catalog,
        backends: Mapping[str, InferenceBackend],
        tokens: TokenCounter,
        ledger: UsageLedger | None = None,
        context: ContextSettings | None = None,
        extractor: Extractor | None = None,
        dense: DenseRanking | None = None,
    ) -> None:
        """``dense``: fuse BM25 with the ranking of files' dense vectors (None: lexical alone)."""
        self._ledger = ledger
        self._extractor = extractor
        self._catalog = catalog
        self._backends = backends
        self._tokens = tokens
        self._resolver = DocumentResolver(library, tokens) if library is not None else None
        settings = context or ContextSettings()
        self._fitter = ContextFitter(
            ContextPlanner(settings, tokens, dense), tokens, settings.map_note_tokens
        )

    def prepare(
        self,
        account_id: str,
        request: ChatRequest,
        attached: Mapping[str, ReadyDocument] | None = None,
        *,
        billing: Billing | None = None,
    ) -> PreparedChat:
        """``attached``: documents already fetched and parsed (doc_urls), by the keys messages carry."""
        model = self._catalog.get(request.model)
        conversation = split_conversation(request.messages)
        if self._resolver is None:
            raise InvalidRequest("this engine has no document library to resolve fileid:// references")
        documents = self._resolver.resolve(account_id, conversation, model, attached)
        batch = billing is not None and billing.batch
        prepared = self._prepare(model, request, conversation, documents, bounded=not batch)
        # every call through the API is billed: to the account, unless the caller says more
        return replace(prepared, billing=billing or Billing(account_id))

    def prepare_local(self, request: ChatRequest, documents: list[ReadyDocument]) -> PreparedChat:
        """For documents parsed in this process (``longdoc ask``, ``extract``): no store, no accounts,
        and no time limit (the command shows its progress)."""
        model = self._catalog.get(request.model)
        return self._prepare(model, request, split_conversation(request.messages), documents, bounded=False)

    def _prepare(
        self,
        model: ModelEntry,
        request: ChatRequest,
        conversation: Conversation,
        documents: list[ReadyDocument],
        *,
        bounded: bool,
    ) -> PreparedChat:
        backend = self._backends[model.backend]
        params = request.params
        if params.max_tokens is not None and params.max_tokens > model.max_output_tokens:
            raise InvalidRequest(
                f"max_tokens must be at most {model.max_output_tokens} for {model.name}", param="max_tokens"
            )
        if documents:
            user_tokens = self._tokens.count(conversation.last_user_message)
            if user_tokens > model.max_user_message_tokens:
                raise TooLarge(
                    f"The user message is {user_tokens:,} tokens; with documents attached, {model.name} "
                    f"accepts at most {model.max_user_message_tokens:,}.",
                    param="messages",
                )
        billed = self._billed_prompt_tokens(request.messages, conversation.file_ids, documents)
        if billed > model.max_input_tokens:
            raise TooLarge(
                f"The request holds {billed:,} input tokens; {model.name} accepts at most "
                f"{model.max_input_tokens:,}.",
                param="messages",
            )
        if self._extractor is not None and documents:
            run = self._extractor.plan(model, backend, request, conversation, documents, bounded=bounded)
            if run is not None:
                return PreparedChat(model, backend, [], params, billed, run.report, extraction=run)
        fitted = self._fitter.fit(conversation, documents, backend, request.strategy)
        params = self._fit(backend, model, fitted, params, documents)
        return PreparedChat(
            model, backend, fitted.messages, params, billed, fitted.report, map_reduce=fitted.map_reduce
        )

    @overload
    def stream(
        self,
        prepared: PreparedChat,
        cancel: threading.Event | None = None,
        *,
        progress: Literal[False] = False,
    ) -> Iterator[AnswerEvent]: ...

    @overload
    def stream(
        self, prepared: PreparedChat, cancel: threading.Event | None = None, *, progress: Literal[True]
    ) -> Iterator[AnswerEvent | Progress]: ...

    @overload
    def stream(
        self, prepared: PreparedChat, cancel: threading.Event | None = None, *, progress: bool
    ) -> Iterator[AnswerEvent | Progress]: ...

    def stream(
        self, prepared: PreparedChat, cancel: threading.Event | None = None, *, progress: bool = False
    ) -> Iterator[AnswerEvent | Progress]:
        """The answer's text pieces, then ``AnswerEnd``; with ``progress``, map-reduce reading is
        reported as ``Progress`` events before the first piece."""
        if prepared.extraction is not None:
            yield from self._extract(prepared, prepared.extraction, cancel, progress)
            return
        messages = prepared.messages
        if prepared.map_reduce is not None:
            notes: list[Note] = []
            for item in prepared.map_reduce.notes(cancel):
                if isinstance(item, Progress):
                    if progress:
                        yield item
                else:
                    notes = item
            messages = prepared.map_reduce.messages(notes)
        for event in prepared.backend.stream(messages, prepared.params, cancel):
            if isinstance(event, StreamEnd):
                end = AnswerEnd(
                    finish_reason=event.finish_reason,
                    prompt_tokens=prepared.billed_prompt_tokens,
                    completion_tokens=event.usage.completion_tokens,
                    cached_tokens=0,
                    context=prepared.context,
                )
                self._bill(prepared, end)
                yield end
                return
            yield event

    def _extract(
        self,
        prepared: PreparedChat,
        extraction: ExtractionRun,
        cancel: threading.Event | None,
        progress: bool,
    ) -> Iterator[AnswerEvent | Progress]:
        for item in extraction.run(cancel):
            if isinstance(item, Progress):
                if progress:
                    yield item
                continue
            if item.finish_reason != "cancelled":
                yield TokenDelta(item.text)  # the JSON is whole and valid only once merged: one piece
            end = AnswerEnd(
                finish_reason=item.finish_reason,
                prompt_tokens=prepared.billed_prompt_tokens,
                completion_tokens=item.completion_tokens,
                cached_tokens=0,
                context=extraction.report,
            )
            self._bill(prepared, end)
            yield end
            return

    def _bill(self, prepared: PreparedChat, end: AnswerEnd) -> None:
        """Record the call in the usage ledger before the caller sees its end (so it is billed once it is seen)."""
        if self._ledger is None or prepared.billing is None:
            return
        try:
            self._ledger.record(
                prepared.billing,
                prepared.model,
                input_tokens=end.prompt_tokens,
                output_tokens=end.completion_tokens,
                cached_tokens=end.cached_tokens,
            )
        except Exception:  # the answer is given; losing its bill is logged, not turned into an error
            log.exception(
                "recording usage of %s for %s failed", prepared.model.name, prepared.billing.account_id
            )

    def _billed_prompt_tokens(
        self, messages: list[Message], file_ids: list[str], documents: list[ReadyDocument]
    ) -> int:
        """Every token of every referenced document, plus the messages themselves."""
        referenced = sum(d.tokens for d in documents if d.referenced)
        spoken = sum(
            self._tokens.count(m.content) + MESSAGE_OVERHEAD_TOKENS
            for m in messages
            if not (m.role == "system" and any(f"fileid://{fid}" in m.content for fid in file_ids))
        )
        return referenced + spoken

    @staticmethod
    def _fit(
        backend: InferenceBackend,
        model: ModelEntry,
        fitted: FittedContext,
        params: GenerationParams,
        documents: list[ReadyDocument],
    ) -> GenerationParams:
        """Check the prompt fits the engine model's window and bound the output to what is left."""
        prompt = backend.count_tokens(fitted.messages) + fitted.reserved_tokens
        room = backend.context_window - prompt
        wanted = params.max_tokens or min(model.max_output_tokens, max(room, 0))
        if room < min(wanted, 256):
            sizes = ", ".join(f"{d.name}: {d.tokens:,} tokens" for d in documents) or "no documents"
            raise InvalidRequest(
                f"The documents and conversation take {prompt:,} tokens of the engine model's "
                f"{backend.context_window:,}-token window ({sizes}), leaving too little room to answer. "
                "Ask about fewer or shorter documents, or let longdoc pick passages (x_context_strategy auto).",
                param="messages",
            )
        return params.model_copy(update={"max_tokens": min(wanted, room)})
