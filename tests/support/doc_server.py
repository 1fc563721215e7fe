"""A loopback HTTP server that serves documents for doc_url tests, and records what it was asked.

Each path maps to a ``Route``: bytes with headers, a status, a redirect, a delay, or a body sent
without Content-Length. Conditional requests (If-None-Match / If-Modified-Since) get a 304 when
they match, as a real static server would answer them.
"""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    location: str | None = None  # a redirect target (with status 30x)
    delay: float = 0.0  # seconds before the body is sent
    chunked: bool = False  # send the body without Content-Length

    @property
    def etag(self) -> str | None:
        return self.headers.get("ETag")


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    status: int


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # clients hang up on purpose here (size caps, timeouts, refused certificates)
        pass


class DocServer:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._answer(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self._scheme = "https" if tls is not None else "http"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def origin(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str) -> str:
        return self.origin + path

    def add(self, path: str, body: bytes = b"", **kwargs: Any) -> str:
        self.routes[path] = Route(body=body, **kwargs)
        return self.url(path)

    def requests_for(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def __enter__(self) -> DocServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?")[0]
        route = self.routes.get(path)
        headers = {k: v for k, v in handler.headers.items()}
        if route is None:
            self.seen.append(Seen(path, headers, 404))
            self._send(handler, 404, {"Content-Type": "text/plain"}, b"not found")
            return
        if route.location is not None:
            self.seen.append(Seen(path, headers, route.status))
            self._send(handler, route.status, {"Location": route.location}, b"")
            return
        etag = route.etag
        modified = route.headers.get("Last-Modified")
        if (etag and handler.headers.get("If-None-Match") == etag) or (
            modified and not etag and handler.headers.get("If-Modified-Since") == modified
        ):
            self.seen.append(Seen(path, headers, 304))
            self._send(handler, 304, {k: v for k, v in route.headers.items() if k != "Content-Type"}, b"")
            return
        self.seen.append(Seen(path, headers, route.status))
        if route.delay:
            time.sleep(route.delay)
        if route.chunked:
            handler.send_response(route.status)
            for key, value in route.headers.items():
                handler.send_header(key, value)
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            for start in range(0, len(route.body), 64 * 1024):
                piece = route.body[start : start + 64 * 1024]
                handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            handler.wfile.write(b"0\r\n\r\n")
            return
        self._send(handler, route.status, route.headers, route.body)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        if status != 304:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if body:
            handler.wfile.write(body)
