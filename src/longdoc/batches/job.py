"""The batch job: validate the input, answer the lines in order, write the output and error files.

A batch runs as a chain of durable jobs. Each answers lines for up to ``batches.slice_seconds``
(recording every answer as it goes), then ends and queues its successor in one transaction. So a
crash or restart repeats at most the line that was being answered — never one already recorded —
and however many restarts a long batch sees, no job of it runs out of attempts. Between lines the
job looks at the batch: cancelled, past its window, or the process stopping, it acts at once.

After a crash, the re-run job hands over to a fresh one as soon as it has answered a line, so
attempts only accumulate while the same line keeps killing the worker; on the last attempt that
line is recorded as failed and the batch goes on. If the job fails for good otherwise, the batch
is marked failed rather than left in progress.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from longdoc.batches.lines import LineRunner, failed_line, unanswered_line
from longdoc.batches.results import ResultFiles
from longdoc.batches.service import BATCH_JOB
from longdoc.batches.validation import read_input
from longdoc.config import BatchSettings
from longdoc.core.batches import Batch, BatchLineError, BatchStatus, LineState
from longdoc.core.errors import LongdocError, ModelUnavailable
from longdoc.core.jobs import Job
from longdoc.jobs.queue import JobQueue
from longdoc.storage.batches import BatchRepository
from longdoc.storage.blobs import BlobStore
from longdoc.storage.database import Database
from longdoc.storage.files import FileRepository

RUNNING = (BatchStatus.IN_PROGRESS, BatchStatus.FINALIZING, BatchStatus.CANCELLING)
UNANSWERED = {
    BatchStatus.EXPIRED: ("batch_expired", "This line was not executed because the batch expired."),
    BatchStatus.CANCELLED: ("batch_cancelled", "This line was not executed because the batch was cancelled."),
}


class BatchJobHandler:
    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        queue: JobQueue,
        runner: LineRunner,
        settings: BatchSettings,
        *,
        stopping: threading.Event | None = None,
        clock: Callable[[], float] = time.time,
        busy_retry_seconds: float = 5.0,
    ) -> None:
        self._db = db
        self._blobs = blobs
        self._queue = queue
        self._runner = runner
        self._settings = settings
        self._stopping = stopping or threading.Event()
        self._clock = clock
        self._busy_retry = busy_retry_seconds
        self._batches = BatchRepository()
        self._files = FileRepository()
        self._results = ResultFiles(db, blobs)

    def __call__(self, job: Job) -> None:
        batch = self._load(job.payload["batch_id"])
        if batch is None or batch.status.is_terminal:
            return
        try:
            if batch.status is BatchStatus.VALIDATING:
                self._validate(job, batch)
            else:
                self._work(job, batch)
        except Exception as exc:
            if job.attempts >= job.max_attempts:  # the queue gives up on the job: say so on the batch
                self._give_up(batch, f"The batch could not be processed: {type(exc).__name__}: {exc}")
            raise

    def _give_up(self, batch: Batch, message: str) -> None:
        now = int(self._clock())
        with self._db.write() as conn:
            self._batches.transition(
                conn,
                batch.id,
                [BatchStatus.VALIDATING, *RUNNING],
                status=BatchStatus.FAILED,
                failed_at=now,
                errors=[BatchLineError(code="server_error", message=message)],
            )

    def _load(self, batch_id: str) -> Batch | None:
        with self._db.read() as conn:
            return self._batches.get_any(conn, batch_id)

    # -- validating
    def _validate(self, job: Job, batch: Batch) -> None:
        with self._db.read() as conn:
            record = self._files.get_any(conn, batch.input_file_id)
        if record is None:
            checked = None
        else:
            with self._blobs.open(record.sha256) as raw:
                checked = read_input(raw, endpoint=batch.endpoint, max_requests=self._settings.max_requests)
        now = int(self._clock())
        with self._queue.finishing(job) as conn:
            if checked is None or checked.errors:
                errors = (
                    checked.errors
                    if checked is not None
                    else [BatchLineError(code="file_not_found", message="The input file was deleted.")]
                )
                failed = {"status": BatchStatus.FAILED, "failed_at": now, "errors": errors}
                if not self._batches.transition(conn, batch.id, [BatchStatus.VALIDATING], **failed):
                    self._batches.transition(conn, batch.id, [BatchStatus.CANCELLING], **failed)
                return
            total = self._batches.add_lines(
                conn, batch.id, ((x.line_no, x.custom_id, x.body) for x in checked.lines)
            )
            started = {
                "status": BatchStatus.IN_PROGRESS,
                "in_progress_at": now,
                "expires_at": batch.created_at + batch.window_seconds,
                "total": total,
            }
            if not self._batches.transition(conn, batch.id, [BatchStatus.VALIDATING], **started):
                self._batches.transition(
                    conn, batch.id, [BatchStatus.CANCELLING], total=total
                )  # cancelled meanwhile
            self._queue.enqueue(conn, BATCH_JOB, {"batch_id": batch.id})

    # -- answering
    def _work(self, job: Job, batch: Batch) -> None:
        if job.attempts >= job.max_attempts and self._skip_crashing_line(job, batch):
            return
        deadline = self._clock() + self._settings.slice_seconds
        answered = 0
        while True:
            with self._db.read() as conn:
                current = self._batches.get_any(conn, batch.id)
                line = self._batches.next_pending(conn, batch.id)
            if current is None or current.status not in RUNNING:
                return
            if current.status is BatchStatus.CANCELLING:
                return self._finish(job, current, BatchStatus.CANCELLED)
            if current.expires_at is not None and self._clock() >= current.expires_at:
                return self._finish(job, current, BatchStatus.EXPIRED)
            if line is None:
                return self._finish(job, current, BatchStatus.COMPLETED)
            if self._stopping.is_set() or (answered and self._clock() >= deadline):
                return self._continue(job)  # every slice answers at least one line
            try:
                result = self._runner.answer(current, line)
            except ModelUnavailable:  # the model is busy with real-time calls: come back shortly
                return self._continue(job, delay=self._busy_retry)
            with self._db.write() as conn:
                self._batches.finish_line(conn, batch.id, line.line_no, result.state, result.line)
            answered += 1
            if job.attempts > 1:  # progress after a crash: a fresh job, so crashes only add up on one line
                return self._continue(job)

    def _skip_crashing_line(self, job: Job, batch: Batch) -> bool:
        """On a job's last attempt, every earlier one died on the same line (any progress would have
        started a fresh job): record that line as failed, so one poisonous request cannot stop the batch."""
        with self._db.read() as conn:
            line = self._batches.next_pending(conn, batch.id)
        if line is None:
            return False
        error = LongdocError(
            f"The server stopped while answering this request, {job.attempts - 1} times; it was not tried again."
        )
        result = failed_line(line.custom_id, error)
        with self._queue.finishing(job) as conn:
            self._batches.finish_line(conn, batch.id, line.line_no, result.state, result.line)
            self._queue.enqueue(conn, BATCH_JOB, job.payload)
        return True

    def _continue(self, job: Job, delay: float = 0.0) -> None:
        with self._queue.finishing(job) as conn:
            self._queue.enqueue(conn, BATCH_JOB, job.payload, delay=delay)

    # -- finishing
    def _finish(self, job: Job, batch: Batch, final: BatchStatus) -> None:
        now = int(self._clock())
        with self._db.write() as conn:
            if final is BatchStatus.COMPLETED:
                self._batches.transition(
                    conn,
                    batch.id,
                    [BatchStatus.IN_PROGRESS],
                    status=BatchStatus.FINALIZING,
                    finalizing_at=now,
                )
            else:
                code, message = UNANSWERED[final]
                for line in self._batches.pending(conn, batch.id):
                    result = unanswered_line(line.custom_id, code, message)
                    self._batches.finish_line(conn, batch.id, line.line_no, result.state, result.line)
        output = self._results.build(batch.account_id, batch.id, LineState.SUCCEEDED)
        errors = self._results.build(batch.account_id, batch.id, LineState.FAILED)
        try:
            with self._queue.finishing(job) as conn:
                ended = self._batches.transition(
                    conn, batch.id, RUNNING, status=final, **{f"{final.value}_at": now}
                )
                if ended:
                    self._batches.transition(
                        conn,
                        batch.id,
                        [final],
                        output_file_id=self._results.record(conn, output),
                        error_file_id=self._results.record(conn, errors),
                    )
            self._results.settle(output)
            self._results.settle(errors)
        finally:
            self._results.discard(output)
            self._results.discard(errors)
