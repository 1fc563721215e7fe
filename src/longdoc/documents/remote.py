"""doc_url documents: fetched, parsed and cached, so that asking again costs a revalidation at most.

The cache is shared by all accounts (the bytes are public) and keyed by URL and parsing strategy;
each row keeps the server's validators (ETag, Last-Modified) and how long the bytes stay fresh.
A fresh row is used without contacting the server; a stale one is revalidated (a 304 reuses the
parse); new bytes identical to the cached ones reuse the parse too. Parsing runs in the same
isolated child process as uploads, inline with the request as the service does it, and also
counts the tokens and builds the lexical index, which is kept with the cache entry: asking about
the URL again reads the stored index, as for an uploaded file.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from longdoc.config import ContextSettings, FetchSettings, LimitSettings, ParsingSettings
from longdoc.context.lexical import LexicalIndex
from longdoc.core.documents import Document, ParsingStrategy
from longdoc.core.errors import FileNotReady, InvalidRequest, LongdocError, ParseFailed, TooLarge
from longdoc.documents.fetch import Fetched, UrlFetcher, Validators
from longdoc.documents.indexes import StoredIndexes
from longdoc.documents.library import IMAGE_MAGIC
from longdoc.documents.preparation import prepare_isolated
from longdoc.storage.blobs import BlobStore, StagedBlob
from longdoc.storage.database import Database
from longdoc.storage.remote_documents import RemoteDocumentRecord, RemoteDocumentRepository

log = logging.getLogger(__name__)

MAX_DOC_URLS = 10  # per request, as Qwen-Doc-Turbo accepts
# The name a doc_url's stored index gives its passages; a request reads it under the document's key.
INDEX_KEY = "doc_url"

# How this call got the document: from the cache without asking, after a 304, or by downloading.
Origin = Literal["cached", "revalidated", "fetched"]


@dataclass(frozen=True)
class RemoteDocument:
    url: str
    name: str
    document: Document
    tokens: int
    origin: Origin
    parsed: bool  # whether this call ran the parser
    index_sha256: str | None = None  # its stored lexical index (none for entries cached before indexes)


class RemoteDocuments:
    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        fetcher: UrlFetcher,
        indexes: StoredIndexes,
        *,
        fetch: FetchSettings,
        parsing: ParsingSettings,
        context: ContextSettings,
        limits: LimitSettings,
    ) -> None:
        self._db = db
        self._blobs = blobs
        self._fetcher = fetcher
        self._indexes = indexes
        self._fetch = fetch
        self._parsing = parsing
        self._context = context
        self._limits = limits
        self._repo = RemoteDocumentRepository()
        self._parse_slots = threading.BoundedSemaphore(fetch.parse_concurrency)

    def get_many(self, wanted: Sequence[tuple[str, ParsingStrategy]]) -> list[RemoteDocument]:
        """Each (url, strategy) in order, fetched concurrently; the first failure in URL order is raised."""
        check_count(len(wanted))
        if len(wanted) <= 1:
            return [self.get(url, strategy) for url, strategy in wanted]
        workers = min(len(wanted), self._fetch.concurrency)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="longdoc-fetch") as pool:
            futures = [pool.submit(self.get, url, strategy) for url, strategy in wanted]
            outcomes: list[RemoteDocument | LongdocError] = []
            for future in futures:
                try:
                    outcomes.append(future.result())
                except LongdocError as exc:
                    outcomes.append(exc)
        for outcome in outcomes:
            if isinstance(outcome, LongdocError):
                raise outcome
        return [o for o in outcomes if isinstance(o, RemoteDocument)]

    def get(self, url: str, strategy: ParsingStrategy) -> RemoteDocument:
        strategy = ParsingStrategy(strategy)
        with self._db.read() as conn:
            cached = self._repo.get(conn, url, strategy.value)
        cached_doc = self._load(cached) if cached is not None else None
        if cached is not None and cached_doc is not None and cached.fresh_until > time.time():
            return RemoteDocument(
                url, cached.filename, cached_doc, cached.tokens, "cached", False, cached.index_sha256
            )

        validators = None  # revalidate only what we can still serve
        if cached is not None and cached_doc is not None and (cached.etag or cached.last_modified):
            validators = Validators(cached.etag, cached.last_modified)
        fetched = self._fetcher.fetch(url, validators)
        if fetched.not_modified and cached is not None and cached_doc is not None:
            with self._db.write() as conn:
                self._repo.touch(
                    conn, url, strategy.value, fetched_at=time.time(), fresh_until=fetched.fresh_until
                )
            return RemoteDocument(
                url, cached.filename, cached_doc, cached.tokens, "revalidated", False, cached.index_sha256
            )
        assert fetched.staged is not None
        try:
            return self._store(url, strategy, fetched, fetched.staged, cached, cached_doc)
        finally:
            self._blobs.discard(fetched.staged)

    def _store(
        self,
        url: str,
        strategy: ParsingStrategy,
        fetched: Fetched,
        staged: StagedBlob,
        cached: RemoteDocumentRecord | None,
        cached_doc: Document | None,
    ) -> RemoteDocument:
        if staged.head.startswith(IMAGE_MAGIC) and staged.size > self._limits.image_bytes:
            raise TooLarge(
                f"doc_url {url} is an image of {staged.size:,} bytes, over the image limit of "
                f"{self._limits.image_bytes:,}",
                param="doc_url",
            )
        if cached is not None and cached_doc is not None and cached.sha256 == staged.sha256:
            document, tokens, ran = cached_doc, cached.tokens, False
            parsed_sha, index_sha = cached.parsed_sha256, cached.index_sha256
        else:
            document, tokens, parsed_sha, index_sha = self._prepare(url, staged, strategy, fetched.filename)
            ran = True
        record = RemoteDocumentRecord(
            url=url,
            strategy=strategy.value,
            filename=fetched.filename,
            etag=fetched.validators.etag,
            last_modified=fetched.validators.last_modified,
            fresh_until=fetched.fresh_until,
            fetched_at=time.time(),
            bytes=staged.size,
            sha256=staged.sha256,
            parsed_sha256=parsed_sha,
            format=document.format,
            tokens=tokens,
            index_sha256=index_sha,
        )
        with self._db.write() as conn:
            self._repo.put(conn, record)
        return RemoteDocument(url, fetched.filename, document, tokens, "fetched", ran, index_sha)

    def index(self, remote: RemoteDocument) -> LexicalIndex | None:
        """The stored index of a document this service fetched; None when it has none (the
        caller builds one), or its blob is gone."""
        if remote.index_sha256 is None:
            return None
        try:
            return self._indexes.load(remote.index_sha256)
        except FileNotFoundError:
            return None

    def _prepare(
        self, url: str, staged: StagedBlob, strategy: ParsingStrategy, filename: str
    ) -> tuple[Document, int, str, str]:
        """Parse, count and index in a child; store the parsed form and the index as blobs."""
        with self._parse_slots:
            try:
                with prepare_isolated(
                    staged.temp_path,
                    file_id=INDEX_KEY,
                    strategy=strategy,
                    filename=filename,
                    parsing=self._parsing,
                    context=self._context,
                ) as prepared:
                    document = Document.model_validate_json(prepared.document_json.read_bytes())
                    parsed_sha = self._blobs.put_file(prepared.document_json)
                    index_sha = self._blobs.put_file(prepared.index)
                    return document, prepared.tokens, parsed_sha, index_sha
            except ParseFailed as exc:
                raise FileNotReady(
                    f"doc_url {url} could not be parsed: {exc.message}", param="doc_url"
                ) from exc

    def _load(self, record: RemoteDocumentRecord) -> Document | None:
        """The cached parse, or None when its blob is gone (blobs are shared with uploads)."""
        try:
            with self._blobs.open(record.parsed_sha256) as blob:
                return Document.model_validate_json(blob.read())
        except FileNotFoundError:
            log.info("doc_url cache: parsed blob of %s is gone; fetching again", record.url)
            return None


def check_count(count: int) -> None:
    if count > MAX_DOC_URLS:
        raise InvalidRequest(
            f"Too many doc_url documents: the request holds {count}, and at most {MAX_DOC_URLS} are accepted.",
            param="doc_url",
        )
