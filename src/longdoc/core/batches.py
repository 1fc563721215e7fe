"""Batches: many chat requests in one file, answered in the background at half price."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class BatchStatus(StrEnum):
    VALIDATING = "validating"
    FAILED = "failed"  # the input file did not validate; ``errors`` says where
    IN_PROGRESS = "in_progress"
    FINALIZING = "finalizing"
    COMPLETED = "completed"
    EXPIRED = "expired"  # the completion window passed; unfinished lines are in the error file
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({BatchStatus.FAILED, BatchStatus.COMPLETED, BatchStatus.EXPIRED, BatchStatus.CANCELLED})


class BatchLineError(BaseModel):
    """Why the input file failed validation, at which line (1-based)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    message: str
    param: str | None = None
    line: int | None = None


class RequestCounts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    total: int = 0
    completed: int = 0
    failed: int = 0


class Batch(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    account_id: str
    key_id: str | None
    endpoint: str
    input_file_id: str
    completion_window: str
    window_seconds: int
    status: BatchStatus
    errors: list[BatchLineError] | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    created_at: int
    in_progress_at: int | None = None
    expires_at: int | None = None
    finalizing_at: int | None = None
    completed_at: int | None = None
    failed_at: int | None = None
    expired_at: int | None = None
    cancelling_at: int | None = None
    cancelled_at: int | None = None
    request_counts: RequestCounts = RequestCounts()
    metadata: dict[str, Any] | None = None


class LineState(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"  # its result is a line of the output file
    FAILED = "failed"  # its result is a line of the error file
