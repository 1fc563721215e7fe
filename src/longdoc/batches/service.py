"""Creating, reading and cancelling batches. The work itself is the batch job (``batches.job``)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from longdoc.core import ids
from longdoc.core.accounts import Principal
from longdoc.core.batches import Batch, BatchStatus
from longdoc.core.errors import InvalidRequest, NotFound
from longdoc.core.files import FilePurpose
from longdoc.jobs.queue import JobQueue
from longdoc.storage.batches import BatchRepository
from longdoc.storage.database import Database
from longdoc.storage.files import FileRepository

BATCH_JOB = "batch"
ENDPOINTS = ("/v1/chat/completions",)
HOUR = 3600
MIN_WINDOW, MAX_WINDOW = 24 * HOUR, 336 * HOUR  # Model Studio accepts 24h … 336h (14 days)
_WINDOW = re.compile(r"^(\d+)([hd])$")
CANCELLABLE = (BatchStatus.VALIDATING, BatchStatus.IN_PROGRESS)


def window_seconds(completion_window: str) -> int:
    """``24h``, ``48h``, ``7d`` … as seconds; InvalidRequest outside 24 hours to 14 days."""
    match = _WINDOW.match(completion_window.strip())
    seconds = int(match.group(1)) * (HOUR if match.group(2) == "h" else 24 * HOUR) if match else 0
    if not MIN_WINDOW <= seconds <= MAX_WINDOW:
        raise InvalidRequest(
            f"completion_window must be between 24h and 336h (e.g. '24h', '7d'), not {completion_window!r}",
            param="completion_window",
        )
    return seconds


class BatchService:
    def __init__(self, db: Database, queue: JobQueue, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._queue = queue
        self._clock = clock
        self._batches = BatchRepository()
        self._files = FileRepository()

    def create(
        self,
        principal: Principal,
        *,
        input_file_id: str,
        endpoint: str,
        completion_window: str,
        metadata: dict[str, Any] | None = None,
    ) -> Batch:
        if endpoint not in ENDPOINTS:
            raise InvalidRequest(
                f"endpoint must be one of {', '.join(ENDPOINTS)}, not {endpoint!r}", param="endpoint"
            )
        seconds = window_seconds(completion_window)
        batch = Batch(
            id=ids.batch_id(),
            account_id=principal.account_id,
            key_id=principal.key_id,
            endpoint=endpoint,
            input_file_id=input_file_id,
            completion_window=completion_window,
            window_seconds=seconds,
            status=BatchStatus.VALIDATING,
            created_at=int(self._clock()),
            metadata=metadata,
        )
        with self._db.write() as conn:
            record = self._files.get(conn, principal.account_id, input_file_id)
            if record is None:
                raise NotFound(f"No such file: {input_file_id}", param="input_file_id")
            if record.purpose is not FilePurpose.BATCH:
                raise InvalidRequest(
                    f"File {input_file_id} has purpose '{record.purpose}'; a batch reads a file of purpose 'batch'",
                    param="input_file_id",
                )
            self._batches.insert(conn, batch)
            self._queue.enqueue(conn, BATCH_JOB, {"batch_id": batch.id})
        return batch

    def get(self, account_id: str, batch_id: str) -> Batch:
        with self._db.read() as conn:
            batch = self._batches.get(conn, account_id, batch_id)
        if batch is None:
            raise NotFound(f"No such batch: {batch_id}", param="batch_id")
        return batch

    def list(self, account_id: str, *, limit: int, after: str | None = None) -> tuple[list[Batch], bool]:
        with self._db.read() as conn:
            return self._batches.list(conn, account_id, limit=limit, after=after)

    def cancel(self, account_id: str, batch_id: str) -> Batch:
        """Ask the batch to stop: ``cancelling`` now, ``cancelled`` once its job has noticed
        (between lines: a line being answered is finished first)."""
        with self._db.write() as conn:
            batch = self._batches.get(conn, account_id, batch_id)
            if batch is None:
                raise NotFound(f"No such batch: {batch_id}", param="batch_id")
            if batch.status in (BatchStatus.CANCELLING, BatchStatus.CANCELLED):
                return batch
            if batch.status not in CANCELLABLE:
                raise InvalidRequest(
                    f"Batch {batch_id} is {batch.status.value} and can no longer be cancelled"
                )
            self._batches.transition(
                conn, batch_id, CANCELLABLE, status=BatchStatus.CANCELLING, cancelling_at=int(self._clock())
            )
            found = self._batches.get(conn, account_id, batch_id)
        assert found is not None
        return found
