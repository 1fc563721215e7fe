"""Request ids, Prometheus metrics and JSON access logs, as one ASGI middleware."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from longdoc.core import ids
from longdoc.jobs.queue import JobQueue

log = logging.getLogger("longdoc.access")


class Metrics:
    """This app's Prometheus registry (one per app: tests run several apps in one process)."""

    def __init__(self, queue: JobQueue) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "longdoc_http_requests",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "longdoc_http_request_seconds",
            "HTTP request latency by route",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
        )
        self.registry.register(_JobStates(queue))


class _JobStates(Collector):
    def __init__(self, queue: JobQueue) -> None:
        self._queue = queue

    def collect(self) -> Any:
        family = GaugeMetricFamily("longdoc_jobs", "Durable jobs by state", labels=["state"])
        for state, count in sorted(self._queue.counts().items()):
            family.add_metric([state], count)
        yield family


class RequestContext:
    """Gives every request an id (echoed as ``x-request-id``), counts it and logs it as JSON."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = ids.request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            template = _route_template(scope)
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(elapsed)
            log.info(
                json.dumps(
                    {
                        "request_id": request_id,
                        "method": method,
                        "path": scope["path"],
                        "route": template,
                        "status": status,
                        "ms": round(elapsed * 1000, 1),
                    }
                )
            )


def _route_template(scope: Scope) -> str:
    """The matched route with its mount prefix, e.g. ``/v1/files/{file_id}`` (bounded label values)."""
    route_path = getattr(scope.get("route"), "path", None)
    if route_path is None:
        return "unmatched"
    try:
        rendered = route_path.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return str(route_path)
    path = str(scope["path"])
    prefix = path[: -len(rendered)] if rendered and path.endswith(rendered) else ""
    return prefix + str(route_path)
