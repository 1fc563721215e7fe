"""Resolving a conversation's document sources into parsed documents the account may read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Protocol

from longdoc.chat.conversation import AttachedSource, Conversation, FileSource
from longdoc.context.lexical import LexicalIndex
from longdoc.core.documents import Document
from longdoc.core.errors import InvalidRequest, TooLarge
from longdoc.documents.library import DocumentLibrary
from longdoc.inference.catalog import ModelEntry


class TokenCounting(Protocol):
    def count(self, text: str) -> int: ...


@dataclass(frozen=True)
class ReadyDocument:
    index: int  # 1-based, in conversation order
    name: str
    file_id: str | None  # None for a document given as text
    document: Document
    tokens: int  # Qwen tokens, as billed
    url: str | None = None  # where a doc_url document came from
    # loads the index the parse job stored (lazily: small requests never need it)
    index_loader: Callable[[], LexicalIndex | None] | None = field(default=None, compare=False, repr=False)

    @property
    def referenced(self) -> bool:
        """Given by reference (file id or URL): billed whole, its text is not in the messages."""
        return self.file_id is not None or self.url is not None

    @property
    def key(self) -> str:
        """Unique within a request: the file id, or the document's position for text and URLs."""
        return self.file_id or f"document-{self.index}"

    def stored_index(self) -> LexicalIndex | None:
        """The index stored with the document, naming its passages by this document's key."""
        index = self.index_loader() if self.index_loader is not None else None
        return index if index is None or index.file_id == self.key else index.under(self.key)


class DocumentResolver:
    def __init__(self, library: DocumentLibrary, tokens: TokenCounting) -> None:
        self._library = library
        self._tokens = tokens

    def resolve(
        self,
        account_id: str,
        conversation: Conversation,
        model: ModelEntry,
        attached: Mapping[str, ReadyDocument] | None = None,
    ) -> list[ReadyDocument]:
        """The documents in order, each file once; raises the services' errors for files not ready.

        ``attached`` holds documents resolved elsewhere (doc_urls), by the keys messages carry."""
        file_ids = list(dict.fromkeys(conversation.file_ids))
        if len(file_ids) > model.max_files:
            raise InvalidRequest(
                f"Too many files: the request references {len(file_ids)} files, "
                f"and {model.name} accepts at most {model.max_files}.",
                param="messages",
            )
        ready: list[ReadyDocument] = []
        seen: set[str] = set()
        for source in conversation.documents:
            if isinstance(source, AttachedSource):
                if source.key in seen:
                    continue
                seen.add(source.key)
                ready.append(replace((attached or {})[source.key], index=len(ready) + 1))
            elif isinstance(source, FileSource):
                if source.file_id in seen:
                    continue
                seen.add(source.file_id)
                record, document = self._library.parsed(account_id, source.file_id)
                ready.append(
                    ReadyDocument(
                        len(ready) + 1,
                        record.filename,
                        record.id,
                        document,
                        record.tokens or 0,
                        index_loader=partial(self._library.index, record),
                    )
                )
            else:
                tokens = self._tokens.count(source.text)
                if tokens > model.max_plain_text_tokens:
                    raise TooLarge(
                        f"A document given as text is {tokens:,} tokens; {model.name} accepts at most "
                        f"{model.max_plain_text_tokens:,} tokens of text in a message. Upload it as a file instead.",
                        param="messages",
                    )
                document = Document(format="txt", text=source.text)
                ready.append(
                    ReadyDocument(len(ready) + 1, f"document {len(ready) + 1}", None, document, tokens)
                )
        return ready
