"""Answering one batch line through the chat engine, as the real-time route would answer it.

The result is the line of the output file (status 200 and the ``chat.completion`` body) or of the
error file (the status and OpenAI error envelope the route would have sent, plus ``error``).
``ModelUnavailable`` (the model is busy) is not an answer: it propagates, and the line is retried.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from longdoc.accounts.ledger import Billing
from longdoc.chat.engine import AnswerEnd, ChatEngine
from longdoc.chat.openai_wire import completion, error_body, parse_request, to_domain
from longdoc.core import ids
from longdoc.core.batches import Batch, LineState
from longdoc.core.errors import LongdocError, ModelUnavailable
from longdoc.inference.base import TokenDelta
from longdoc.storage.batches import PendingLine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LineResult:
    state: LineState
    line: str  # JSON, one line of the output or error file


def usage_key(batch_id: str, line_no: int) -> str:
    """What makes a line's bill unique: answered twice (after a crash), it is billed once."""
    return f"{batch_id}#{line_no}"


def _line(custom_id: str, response: dict[str, Any] | None, error: dict[str, Any] | None) -> str:
    return json.dumps(
        {
            "id": "batch_req_" + secrets.token_hex(12),
            "custom_id": custom_id,
            "response": response,
            "error": error,
        },
        ensure_ascii=False,
    )


def failed_line(custom_id: str, error: LongdocError) -> LineResult:
    response = {"status_code": error.status, "request_id": ids.request_id(), "body": error_body(error)}
    code = error.openai_code or error.openai_type
    return LineResult(LineState.FAILED, _line(custom_id, response, {"code": code, "message": error.message}))


def unanswered_line(custom_id: str, code: str, message: str) -> LineResult:
    """A line the batch ended without running (expired, cancelled)."""
    return LineResult(LineState.FAILED, _line(custom_id, None, {"code": code, "message": message}))


class LineRunner:
    def __init__(self, engine: ChatEngine) -> None:
        self._engine = engine

    def answer(self, batch: Batch, line: PendingLine) -> LineResult:
        try:
            body = parse_request(json.loads(line.request))
            billing = Billing(batch.account_id, batch.key_id, batch.id, usage_key(batch.id, line.line_no))
            prepared = self._engine.prepare(batch.account_id, to_domain(body), billing=billing)
            pieces: list[str] = []
            for event in self._engine.stream(prepared):
                if isinstance(event, TokenDelta):
                    pieces.append(event.text)
                elif isinstance(event, AnswerEnd):
                    answer = completion(body.model, "".join(pieces), event)
                    response = {
                        "status_code": 200,
                        "request_id": ids.request_id(),
                        "body": answer.model_dump(mode="json"),
                    }
                    return LineResult(LineState.SUCCEEDED, _line(line.custom_id, response, None))
            raise LongdocError("the model stopped without finishing its answer")
        except ModelUnavailable:
            raise
        except LongdocError as exc:
            return failed_line(line.custom_id, exc)
        except Exception:  # a bug answering one line must not stop the other lines
            log.exception("batch %s line %s failed", batch.id, line.line_no)
            return failed_line(
                line.custom_id, LongdocError("The server had an error processing the request.")
            )
