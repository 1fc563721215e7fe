"""Batch API: wire requests to the batch service and back."""

from __future__ import annotations

from longdoc.api.openai.batches.protocol import BatchList, BatchObject, CreateBatchRequest
from longdoc.batches.service import BatchService
from longdoc.core.accounts import Principal


class BatchesServing:
    def __init__(self, batches: BatchService) -> None:
        self._batches = batches

    def create(self, principal: Principal, body: CreateBatchRequest) -> BatchObject:
        batch = self._batches.create(
            principal,
            input_file_id=body.input_file_id,
            endpoint=body.endpoint,
            completion_window=body.completion_window,
            metadata=body.metadata,
        )
        return BatchObject.of(batch)

    def retrieve(self, principal: Principal, batch_id: str) -> BatchObject:
        return BatchObject.of(self._batches.get(principal.account_id, batch_id))

    def list(self, principal: Principal, *, after: str | None, limit: int) -> BatchList:
        batches, has_more = self._batches.list(principal.account_id, limit=limit, after=after)
        data = [BatchObject.of(b) for b in batches]
        return BatchList(
            data=data,
            has_more=has_more,
            first_id=data[0].id if data else None,
            last_id=data[-1].id if data else None,
        )

    def cancel(self, principal: Principal, batch_id: str) -> BatchObject:
        return BatchObject.of(self._batches.cancel(principal.account_id, batch_id))
