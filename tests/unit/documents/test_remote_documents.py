"""The doc_url cache on real stores: a repeated call neither downloads nor parses again."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from longdoc.config import ContextSettings, FetchSettings, LimitSettings, ParsingSettings
from longdoc.context.tokens import TokenCounter
from longdoc.core.documents import ParsingStrategy
from longdoc.core.errors import FetchFailed, FileNotReady, InvalidRequest, TooLarge
from longdoc.documents.fetch import UrlFetcher
from longdoc.documents.guard import AddressGuard
from longdoc.documents.indexes import StoredIndexes
from longdoc.documents.ready import ReadyDocument
from longdoc.documents.remote import MAX_DOC_URLS, RemoteDocuments
from longdoc.storage.blobs import FilesystemBlobStore
from longdoc.storage.database import Database
from support.doc_server import DocServer

MANUAL = "The X1 drill has a warranty of 24 months.\nIts price is 8999 yuan.\n"
AUTO = ParsingStrategy.AUTO
Build = Callable[..., RemoteDocuments]


@pytest.fixture
def docs() -> Iterator[DocServer]:
    with DocServer() as server:
        yield server


@pytest.fixture
def blobs(tmp_path: Path) -> FilesystemBlobStore:
    return FilesystemBlobStore(tmp_path / "blobs")


@pytest.fixture(scope="module")
def tokens() -> TokenCounter:
    return TokenCounter()


@pytest.fixture
def stores(database_url: str) -> Iterator[Database]:
    """On SQLite and PostgreSQL: for the tests that exercise the table itself."""
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'longdoc.db'}")
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def remote_documents(blobs: FilesystemBlobStore) -> Callable[..., RemoteDocuments]:
    def build(db: Database, *, limits: LimitSettings | None = None, **fetch: float) -> RemoteDocuments:
        settings = FetchSettings(**fetch)
        limits = limits or LimitSettings()
        fetcher = UrlFetcher(AddressGuard(["127.0.0.1"]), settings, blobs, max_bytes=limits.document_bytes)
        return RemoteDocuments(
            db,
            blobs,
            fetcher,
            StoredIndexes(blobs, 8),
            fetch=settings,
            parsing=ParsingSettings(),
            context=ContextSettings(),
            limits=limits,
        )

    return build


def test_first_call_fetches_and_parses(
    stores: Database,
    blobs: FilesystemBlobStore,
    docs: DocServer,
    remote_documents: Build,
    tokens: TokenCounter,
) -> None:
    url = docs.add("/x1.txt", MANUAL.encode(), headers={"ETag": '"v1"'})
    got = remote_documents(stores).get(url, AUTO)
    assert got.origin == "fetched" and got.parsed
    assert got.document.text.strip() == MANUAL.strip()
    assert got.name == "x1.txt" and got.url == url
    assert got.tokens == tokens.count(got.document.text)
    assert list((blobs.root / "tmp").iterdir()) == []  # the downloaded bytes are not kept
    # counted and indexed in the parse child; the index is kept with the cache entry
    remote = remote_documents(stores)
    index = remote.index(got)
    assert index is not None and index.chunk_count >= 1
    assert index.search("warranty of the X1 drill", k=1)[0][1] > 0
    # a request reads it under the document's key in that request
    ready = ReadyDocument(
        2, got.name, None, got.document, got.tokens, url=url, index_loader=partial(remote.index, got)
    )
    stored = ready.stored_index()
    assert stored is not None and stored.file_id == ready.key == "document-2"
    assert stored.passage(0, 1.0).file_id == "document-2"


def test_a_repeated_call_revalidates_with_the_etag(
    stores: Database, blobs: FilesystemBlobStore, docs: DocServer, remote_documents: Build
) -> None:
    url = docs.add("/x1.txt", MANUAL.encode(), headers={"ETag": '"v1"'})
    remote = remote_documents(stores)
    first = remote.get(url, AUTO)
    again = remote.get(url, AUTO)
    assert again.origin == "revalidated" and not again.parsed
    assert again.document == first.document and again.tokens == first.tokens
    seen = docs.requests_for("/x1.txt")
    assert [s.status for s in seen] == [200, 304]
    assert seen[1].headers["If-None-Match"] == '"v1"'


def test_last_modified_is_a_validator_too(
    db: Database, blobs: FilesystemBlobStore, docs: DocServer, remote_documents: Build
) -> None:
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"
    url = docs.add("/x1.txt", MANUAL.encode(), headers={"Last-Modified": stamp})
    remote = remote_documents(db)
    remote.get(url, AUTO)
    assert remote.get(url, AUTO).origin == "revalidated"
    assert docs.requests_for("/x1.txt")[1].headers["If-Modified-Since"] == stamp


def test_a_fresh_copy_is_used_without_asking(
    db: Database, blobs: FilesystemBlobStore, docs: DocServer, remote_documents: Build
) -> None:
    url = docs.add("/x1.txt", MANUAL.encode(), headers={"Cache-Control": "max-age=3600"})
    remote = remote_documents(db)
    remote.get(url, AUTO)
    again = remote.get(url, AUTO)
    assert again.origin == "cached" and not again.parsed
    assert len(docs.requests_for("/x1.txt")) == 1


def test_no_store_is_never_fresh(
    db: Database, blobs: FilesystemBlobStore, docs: DocServer, remote_documents: Build
) -> None:
    url = docs.add("/x1.txt", MANUAL.encode(), headers={"Cache-Control": "no-store", "ETag": '"a"'})
    remote = remote_documents(db, fresh_seconds=3600)
    remote.get(url, AUTO)
    assert remote.get(url, AUTO).origin == "revalidated"


def test_same_bytes_without_validators_are_not_parsed_again(
    db: Database, blobs: FilesystemBlobStore, docs: DocServer, remote_documents: Build
) -> None:
    url = docs.add("/plain.txt", MANUAL.encode())
    remote = remote_documents(db)
    remote.get(url, AUTO)
    again = remote.get(url, AUTO)
    assert again.origin == "fetched" and not again.parsed
    assert [s.status for s in docs.requests_for("/plain.txt")] == [200, 200]


def test_changed_bytes_are_parsed_again(
    db: Database, blobs: FilesystemBlobStore, docs: DocServer, remote_documents: Build
) -> None:
    url = docs.add("/x1.txt", MANUAL.encode(), headers={"ETag": '"v1"'})
    remote = remote_documents(db)
    remote.get(url, AUTO)
    docs.add("/x1.txt", b"The X1 now has 36 months of warranty.\n", headers={"ETag": '"v2"'})
    changed = remote.get(url, AUTO)
    assert changed.parsed and "36 months" in changed.document.text


def test_each_strategy_has_its_own_entry(
    db: Database, blobs: FilesystemBlobStore, docs: DocServer, remote_documents: Build
) -> None:
    url = docs.add("/x1.txt", MANUAL.encode(), headers={"ETag": '"v1"'})
    remote = remote_documents(db)
    remote.get(url, AUTO)
    assert remote.get(url, ParsingStrategy.TEXT_ONLY).parsed
    assert remote.get(url, ParsingStrategy.TEXT_ONLY).origin == "revalidated"


def test_a_lost_parsed_blob_is_rebuilt(
    db: Database, blobs: FilesystemBlobStore, docs: DocServer, remote_documents: Build
) -> None:
    url = docs.add("/x1.txt", MANUAL.encode(), headers={"ETag": '"v1"'})
    remote = remote_documents(db)
    first = remote.get(url, AUTO)
    for blob in blobs.root.glob("??/??/*"):
        blob.unlink()  # e.g. a file upload with the same parse was deleted
    again = remote.get(url, AUTO)
    assert again.parsed and again.document == first.document
    assert "If-None-Match" not in docs.requests_for("/x1.txt")[1].headers


def test_many_urls_keep_their_order_and_run_together(
    db: Database, blobs: FilesystemBlobStore, docs: DocServer, remote_documents: Build
) -> None:
    urls = [docs.add(f"/m{i}.txt", f"Manual number {i}.\n".encode(), delay=0.3) for i in range(4)]
    remote = remote_documents(db)
    got = remote.get_many([(u, AUTO) for u in urls])
    assert [g.url for g in got] == urls
    assert [g.document.text.strip() for g in got] == [f"Manual number {i}." for i in range(4)]


def test_the_first_failure_in_url_order_is_raised(
    db: Database, blobs: FilesystemBlobStore, docs: DocServer, remote_documents: Build
) -> None:
    good = docs.add("/good.txt", MANUAL.encode())
    with pytest.raises(FetchFailed, match="missing-1"):
        remote_documents(db).get_many(
            [(good, AUTO), (docs.url("/missing-1.txt"), AUTO), (docs.url("/missing-2.txt"), AUTO)]
        )


def test_more_than_ten_urls_are_refused_before_fetching(
    db: Database, blobs: FilesystemBlobStore, docs: DocServer, remote_documents: Build
) -> None:
    urls = [docs.add(f"/m{i}.txt", b"x\n") for i in range(MAX_DOC_URLS + 1)]
    with pytest.raises(InvalidRequest, match="at most 10"):
        remote_documents(db).get_many([(u, AUTO) for u in urls])
    assert docs.seen == []


def test_an_unparseable_document_names_the_url(
    db: Database, blobs: FilesystemBlobStore, docs: DocServer, remote_documents: Build
) -> None:
    url = docs.add("/broken.docx", b"PK\x03\x04 this is not a real zip archive")
    with pytest.raises(FileNotReady) as caught:
        remote_documents(db).get(url, AUTO)
    assert caught.value.message.startswith(f"doc_url {url} could not be parsed: ")


def test_images_have_their_own_limit(
    db: Database, blobs: FilesystemBlobStore, docs: DocServer, remote_documents: Build
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000
    url = docs.add("/scan.png", png)
    with pytest.raises(TooLarge, match="over the image limit of 1,000"):
        remote_documents(db, limits=LimitSettings(image_bytes=1000)).get(url, AUTO)


def test_concurrent_first_calls_both_succeed(
    stores: Database, blobs: FilesystemBlobStore, docs: DocServer, remote_documents: Build
) -> None:
    url = docs.add("/x1.txt", MANUAL.encode(), headers={"ETag": '"v1"'})
    remote = remote_documents(stores)
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(remote.get(url, AUTO))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2
    assert remote.get(url, AUTO).origin == "revalidated"
