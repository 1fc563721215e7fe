"""A backend run in a supervised child process, so that a crash in native code fails only its requests.

llama.cpp is C++: an illegal instruction, a segfault, an abort or the kernel's out-of-memory
killer ends the process that runs it. Here that process is a child (``model_child``) and this
class, in the service, speaks the backend interface over the child's pipes. When the child dies,
the request it was answering gets ``ModelUnavailable`` saying so ("the embedded model process
died (signal 11, SIGSEGV); it is restarting"), and a new child is started after a backoff that
doubles with each death in a row (0.5 s up to 30 s; a child that lived a minute resets it).

The model's line (``ModelQueue``: one request at a time, a bounded number waiting, 503 with
Retry-After past that) stays in this process. Counting tokens goes to the child at once, even
while it generates. On start-up the child loads the model and generates one token; a build that
cannot run on this CPU dies there, and ``readiness()`` says so in words an operator can act on.
"""

from __future__ import annotations

import itertools
import json
import logging
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from longdoc.core.errors import ModelUnavailable
from longdoc.core.processes import child_environment, describe_exit, kill_group
from longdoc.inference.base import (
    ChatMessage,
    GenerationParams,
    InferenceBackend,
    StreamEnd,
    StreamEvent,
    TokenDelta,
    Usage,
)
from longdoc.inference.model_child import READY_ID, error_from_wire
from longdoc.inference.model_queue import ModelQueue

log = logging.getLogger(__name__)

FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
HEALTHY_SECONDS = 60.0  # a child that lived this long resets the backoff
START_TIMEOUT_SECONDS = 600.0  # loading includes reassembling the weights on first use
STOP_WAIT_SECONDS = 30.0  # how long a cancelled generation may take to end before its child is killed
POLL_SECONDS = 0.05  # how often a waiting stream looks at its cancel event
WHO = "the embedded model process"
REBUILD = "rebuild llama-cpp-python for this machine with scripts/build-llama (see the README)"


class _Child:
    """One running model process and the replies it owes, by request id."""

    def __init__(self, process: subprocess.Popen[str], on_exit: Any) -> None:
        self.process = process
        self.started = time.monotonic()
        self.ready = False
        self.start_error: str | None = None  # why its start-up check failed, as it said
        self._ids = itertools.count(READY_ID + 1)
        self._inboxes: dict[int, queue.SimpleQueue[dict[str, Any]]] = {READY_ID: queue.SimpleQueue()}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._exit: str | None = None
        self._on_exit = on_exit
        threading.Thread(target=self._read, name=f"model-child-{process.pid}", daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def ready_inbox(self) -> queue.SimpleQueue[dict[str, Any]]:
        return self._inboxes[READY_ID]

    def open(self, op: str, **fields: Any) -> tuple[int, queue.SimpleQueue[dict[str, Any]]]:
        """Send a request; its replies arrive in the returned inbox (a ``died`` entry if the child dies)."""
        inbox: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        with self._lock:
            if self._exit is not None:
                raise ModelUnavailable(self._exit, retry_after=FIRST_BACKOFF_SECONDS * 2)
            request_id = next(self._ids)
            self._inboxes[request_id] = inbox
        self.send({"op": op, "id": request_id, **fields})
        return request_id, inbox

    def close_inbox(self, request_id: int) -> None:
        with self._lock:
            self._inboxes.pop(request_id, None)

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        try:
            with self._write_lock:
                self.process.stdin.write(json.dumps(message, ensure_ascii=False) + "\n")
                self.process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the child is dying; its reader tells every inbox

    def stop(self) -> None:
        """End the child and any helper it started; the reader reports the exit."""
        with self._lock:
            if self._exit is None:
                self._exit = f"{WHO} was stopped"
        kill_group(self.process.pid)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                log.warning("%s wrote a line that is not the protocol: %.200s", WHO, line)
                continue
            with self._lock:
                inbox = self._inboxes.get(message.get("id"))
            if inbox is not None:
                inbox.put(message)
        returncode = self.process.wait()
        with self._lock:
            reason = self._exit or f"{WHO} died ({describe_exit(returncode)})"
            self._exit = reason
            inboxes = list(self._inboxes.values())
            self._inboxes.clear()
        for inbox in inboxes:
            inbox.put({"died": reason, "returncode": returncode})
        self._on_exit(self, reason, returncode)


class SupervisedBackend(InferenceBackend):
    """``template``'s kind of backend, run by a child process built from the same settings."""

    def __init__(
        self,
        template: InferenceBackend,
        config: dict[str, Any],
        *,
        max_waiting: int = 8,
        max_wait_seconds: float = 120.0,
    ) -> None:
        self.name = template.name
        self.supports_json_schema = template.supports_json_schema
        self.supports_streaming = template.supports_streaming
        self.context_window = template.context_window
        self.queue = ModelQueue(max_waiting, max_wait_seconds)
        self._config = config
        self._cond = threading.Condition()
        self._child: _Child | None = None
        self._starting = False
        self._reason: str | None = "not started"
        self._attempts = 0  # start attempts ended, in success or failure
        self._deaths_in_a_row = 0
        self._restart: threading.Timer | None = None
        self._closed = False

    # -- the interface
    @property
    def pid(self) -> int | None:
        """The model process's id, while one runs."""
        with self._cond:
            return self._child.pid if self._child is not None else None

    def readiness(self) -> str | None:
        with self._cond:
            return None if self._child is not None and self._child.ready else self._reason

    def load(self) -> None:
        """Start the child and wait for its start-up check (the warm-up calls this)."""
        self._running()

    self_check = load

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        child = self._running()
        request_id, inbox = child.open("count", messages=[m.model_dump() for m in messages])
        try:
            reply = inbox.get()
        finally:
            child.close_inbox(request_id)
        if "count" in reply:
            return int(reply["count"])
        raise self._failure(reply)

    def stream(
        self,
        messages: Sequence[ChatMessage],
        params: GenerationParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[StreamEvent]:
        with self.queue.turn(cancel) as got_turn:
            if not got_turn:
                yield StreamEnd("cancelled", Usage(0, 0))
                return
            child = self._running()
            request_id, inbox = child.open(
                "stream", messages=[m.model_dump() for m in messages], params=params.model_dump(mode="json")
            )
            ended = False
            try:
                cancelled = False
                while True:
                    if cancel is not None and cancel.is_set() and not cancelled:
                        child.send({"op": "cancel", "id": request_id})
                        cancelled = True
                    try:
                        reply = inbox.get(timeout=POLL_SECONDS)
                    except queue.Empty:
                        continue
                    if "delta" in reply:
                        yield TokenDelta(reply["delta"])
                        continue
                    ended = True
                    if "end" in reply:
                        yield StreamEnd(reply["end"], Usage(*reply["usage"]))
                        return
                    raise self._failure(reply)
            finally:
                if not ended:  # the caller stopped reading: the child stops before the next turn
                    self._stop_stream(child, request_id, inbox)
                child.close_inbox(request_id)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._reason = "shut down"
            if self._restart is not None:
                self._restart.cancel()
            child, self._child = self._child, None
            self._cond.notify_all()
        if child is not None:
            child.stop()

    # -- supervision
    def _running(self) -> _Child:
        """The ready child; starts one, or waits for a restart, within the queue's wait."""
        deadline = time.monotonic() + max(self.queue.max_wait_seconds, 1.0)
        with self._cond:
            attempts = self._attempts
            if self._child is None and not self._starting and self._restart is None:
                self._start_locked()
            while not (self._child is not None and self._child.ready):
                if self._closed:
                    raise ModelUnavailable(f"{WHO} is shut down")
                if self._attempts > attempts and not self._starting:  # the start we waited for failed
                    raise ModelUnavailable(f"{self._reason}", retry_after=self._backoff())
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ModelUnavailable(f"{WHO} is not up: {self._reason}", retry_after=self._backoff())
                self._cond.wait(remaining)
            return self._child

    def _start_locked(self) -> None:
        self._starting = True
        self._restart = None
        self._reason = "starting"
        threading.Thread(target=self._start, name="model-child-start", daemon=True).start()

    def _start(self) -> None:
        process = subprocess.Popen(
            [sys.executable, "-m", "longdoc.inference.model_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=child_environment(),
            text=True,
            encoding="utf-8",
            start_new_session=True,  # a Ctrl-C meant for the service does not reach it; killpg reaches all of it
        )
        child = _Child(process, self._exited)
        with self._cond:
            if self._closed:
                child.stop()
                return
            self._child = child
        child.send(self._config)
        try:
            reply = child.ready_inbox().get(timeout=START_TIMEOUT_SECONDS)
        except queue.Empty:
            reply = {"error": {"message": f"it did not start within {START_TIMEOUT_SECONDS:g} s"}}
        with self._cond:
            if self._child is not child:
                return  # it died, and _exited has said so
            if reply.get("ready"):
                child.ready = True
                self.name = str(reply.get("name") or self.name)
                self._starting, self._reason = False, None
                self._attempts += 1
                self._cond.notify_all()
                log.info("%s is up (pid %s)", WHO, child.pid)
                return
            if "error" in reply:
                child.start_error = f"{WHO} could not start: {reply['error'].get('message')}"
        child.stop()  # _exited records the failure and schedules the next attempt

    def _exited(self, child: _Child, reason: str, returncode: int) -> None:
        with self._cond:
            if self._child is not child or self._closed:
                return
            self._child = None
            if child.ready:
                self._reason = f"{reason}; it is restarting"
                if time.monotonic() - child.started >= HEALTHY_SECONDS:
                    self._deaths_in_a_row = 0
            else:
                self._reason = child.start_error or start_failure(reason, returncode)
                self._starting = False
                self._attempts += 1
            self._deaths_in_a_row += 1
            delay = self._backoff()
            log.error("%s; next start in %.1f s", self._reason, delay)
            self._restart = threading.Timer(delay, self._restart_now)
            self._restart.daemon = True
            self._restart.start()
            self._cond.notify_all()

    def _restart_now(self) -> None:
        with self._cond:
            if not self._closed and self._child is None and not self._starting:
                reason = self._reason
                self._start_locked()
                self._reason = reason  # until the new child is up, /readyz says why the last one went down

    def _backoff(self) -> float:
        doublings = max(0, self._deaths_in_a_row - 1)
        return float(min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2.0**doublings))

    def _stop_stream(self, child: _Child, request_id: int, inbox: queue.SimpleQueue[dict[str, Any]]) -> None:
        child.send({"op": "cancel", "id": request_id})
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                reply = inbox.get(timeout=remaining)
            except queue.Empty:
                break
            if "delta" not in reply:
                return
        log.error("%s did not stop a cancelled generation within %g s; killing it", WHO, STOP_WAIT_SECONDS)
        child.stop()

    def _failure(self, reply: dict[str, Any]) -> Exception:
        if "died" in reply:
            return ModelUnavailable(f"{reply['died']}; it is restarting", retry_after=self._backoff())
        return error_from_wire(reply["error"])


def start_failure(reason: str, returncode: int) -> str:
    """What a death during the start-up check most likely means, and what to do."""
    if returncode in (-4, -11, -7):  # SIGILL, SIGSEGV, SIGBUS: how a build for another CPU fails
        return f"{reason} during its start-up check: the llama.cpp build may not run on this CPU; {REBUILD}"
    return f"{reason} during its start-up check"
