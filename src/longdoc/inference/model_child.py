"""The model's own process: one backend, answering the supervisor over stdin and stdout.

Started as ``python -m longdoc.inference.model_child`` by ``SupervisedBackend``. Each line either
way is one JSON object. The first line in is the backend's settings; the child builds the backend,
runs its start-up check and answers ``{"id": 0, "ready": …}`` (or an ``error``). Then:

    in:  {"op": "stream", "id": N, "messages": […], "params": {…}}   one at a time
         {"op": "cancel", "id": N}                                    the stream N stops at its next token
         {"op": "count", "id": N, "messages": […]}                    answered at once, even mid-stream
    out: {"id": N, "delta": "…"} … {"id": N, "end": "stop", "usage": [prompt, completion]}
         {"id": N, "count": K}
         {"id": N, "error": {"class": "TooLarge", "message": "…", "retry_after": null}}

Native code may print to file descriptor 1, so the protocol gets its own copy of it and fd 1 is
pointed at stderr. When stdin closes, the supervisor is gone, and so is the child.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
from typing import Any, TextIO

from pydantic import TypeAdapter

from longdoc.config import InferenceSettings
from longdoc.config.inference import BackendSettings
from longdoc.core import errors
from longdoc.core.errors import LongdocError
from longdoc.inference.base import ChatMessage, GenerationParams, InferenceBackend, StreamEnd, TokenDelta

READY_ID = 0


def error_to_wire(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, LongdocError):
        return {"class": type(exc).__name__, "message": exc.message, "retry_after": exc.retry_after}
    return {"class": "LongdocError", "message": f"the model failed: {type(exc).__name__}: {exc}"}


def error_from_wire(wire: dict[str, Any]) -> LongdocError:
    """The error tree's exception the child raised (a class it does not know: ``LongdocError``)."""
    found = getattr(errors, str(wire.get("class")), LongdocError)
    cls = found if isinstance(found, type) and issubclass(found, LongdocError) else LongdocError
    error = cls.__new__(cls)
    LongdocError.__init__(error, str(wire.get("message")), retry_after=wire.get("retry_after"))
    return error


def messages_from_wire(wire: list[dict[str, Any]]) -> list[ChatMessage]:
    return [ChatMessage.model_validate(m) for m in wire]


class _Replies:
    """The protocol's output: whole lines, one writer at a time."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message, ensure_ascii=False) + "\n"
        with self._lock:
            self._out.write(line)
            self._out.flush()


def build_backend(config: dict[str, Any]) -> InferenceBackend:
    from longdoc.inference.registry import BackendRegistry

    spec = TypeAdapter(BackendSettings).validate_python(config["spec"])
    settings = InferenceSettings.model_validate(config["settings"])
    return BackendRegistry().factory(spec.kind)(spec, settings)


def _answer_streams(
    backend: InferenceBackend,
    work: queue.Queue[dict[str, Any]],
    cancels: dict[int, threading.Event],
    replies: _Replies,
) -> None:
    while True:
        request = work.get()
        request_id = request["id"]
        try:
            events = backend.stream(
                messages_from_wire(request["messages"]),
                GenerationParams.model_validate(request["params"]),
                cancels[request_id],
            )
            for event in events:
                if isinstance(event, TokenDelta):
                    replies.send({"id": request_id, "delta": event.text})
                elif isinstance(event, StreamEnd):
                    usage = [event.usage.prompt_tokens, event.usage.completion_tokens]
                    replies.send({"id": request_id, "end": event.finish_reason, "usage": usage})
        except Exception as exc:
            replies.send({"id": request_id, "error": error_to_wire(exc)})
        finally:
            cancels.pop(request_id, None)


def serve(backend: InferenceBackend, requests: TextIO, replies: _Replies) -> None:
    work: queue.Queue[dict[str, Any]] = queue.Queue()
    cancels: dict[int, threading.Event] = {}
    threading.Thread(
        target=_answer_streams, args=(backend, work, cancels, replies), name="model-streams", daemon=True
    ).start()
    for line in requests:
        request = json.loads(line)
        request_id = request["id"]
        if request["op"] == "stream":
            cancels[request_id] = threading.Event()
            work.put(request)
        elif request["op"] == "cancel":
            cancel = cancels.get(request_id)
            if cancel is not None:
                cancel.set()
        elif request["op"] == "count":
            try:
                count = backend.count_tokens(messages_from_wire(request["messages"]))
                replies.send({"id": request_id, "count": count})
            except Exception as exc:
                replies.send({"id": request_id, "error": error_to_wire(exc)})


def main() -> None:
    replies = _Replies(os.fdopen(os.dup(1), "w", encoding="utf-8"))
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        backend = build_backend(json.loads(sys.stdin.readline()))
        backend.self_check()
    except Exception as exc:
        replies.send({"id": READY_ID, "error": error_to_wire(exc)})
        os._exit(1)
    replies.send({"id": READY_ID, "ready": True, "name": backend.name})
    serve(backend, sys.stdin, replies)
    os._exit(0)  # stdin closed: the supervisor is gone; a generation under way ends with us


if __name__ == "__main__":
    main()
