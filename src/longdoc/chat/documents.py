"""Resolving a conversation's document sources into parsed documents the account may read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Protocol

from longdoc.chat.conversation import AttachedSource, Conversation, FileSource
from longdoc.core.documents import Document
from longdoc.core.errors import InvalidRequest, TooLarge
from longdoc.documents.library import DocumentLibrary
from longdoc.documents.ready import ReadyDocument
from longdoc.inference.catalog import ModelEntry


class TokenCounting(Protocol):
    def count(self, text: str) -> int: ...


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
                        vectors_loader=partial(self._library.vectors, record),
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
