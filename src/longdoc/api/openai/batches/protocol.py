"""Wire models of the OpenAI-compatible Batch API."""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from longdoc.core.batches import Batch

log = logging.getLogger(__name__)


class CreateBatchRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    input_file_id: str
    endpoint: str
    completion_window: str = "24h"
    metadata: dict[str, str] | None = None

    @field_validator("metadata")
    @classmethod
    def _small_metadata(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        # OpenAI's limits: 16 pairs, keys up to 64 characters, values up to 512
        if value is not None and (
            len(value) > 16 or any(len(k) > 64 or len(v) > 512 for k, v in value.items())
        ):
            raise ValueError("at most 16 pairs, keys up to 64 characters and values up to 512")
        return value

    @model_validator(mode="after")
    def _log_extras(self) -> CreateBatchRequest:
        if self.model_extra:
            log.debug("CreateBatchRequest: ignoring fields %s", sorted(self.model_extra))
        return self


class BatchErrorOut(BaseModel):
    code: str
    message: str
    param: str | None = None
    line: int | None = None


class BatchErrors(BaseModel):
    object: Literal["list"] = "list"
    data: list[BatchErrorOut]


class RequestCountsOut(BaseModel):
    total: int
    completed: int
    failed: int


class BatchObject(BaseModel):
    id: str
    object: Literal["batch"] = "batch"
    endpoint: str
    errors: BatchErrors | None = None
    input_file_id: str
    completion_window: str
    status: str
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
    request_counts: RequestCountsOut
    metadata: dict[str, Any] | None = None

    @classmethod
    def of(cls, batch: Batch) -> BatchObject:
        fields = batch.model_dump(
            exclude={"account_id", "key_id", "window_seconds", "errors", "request_counts"}
        )
        errors = (
            BatchErrors(data=[BatchErrorOut(**e.model_dump()) for e in batch.errors])
            if batch.errors is not None
            else None
        )
        return cls(
            **fields | {"status": batch.status.value},
            errors=errors,
            request_counts=RequestCountsOut(**batch.request_counts.model_dump()),
        )


class BatchList(BaseModel):
    object: Literal["list"] = "list"
    data: list[BatchObject]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = Field(description="More batches follow; ask again with after=last_id.")
