"""Error envelopes: every LongdocError rendered in the caller's protocol.

The protocol is chosen by the route family: ``/api/v1`` speaks DashScope, everything else OpenAI.
Handlers are registered by exception class; no message text is ever inspected. An exception that
is not a ``LongdocError`` is a bug: the caller gets a generic server error (``reported``), and the
log gets the traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from longdoc.core.errors import AuthenticationFailed, InvalidRequest, LongdocError, MethodNotAllowed, NotFound

log = logging.getLogger(__name__)

DASHSCOPE_PREFIX = "/api/v1"
UNEXPECTED = "The server had an error processing the request."


def is_dashscope(request: Request) -> bool:
    return request.url.path.startswith(DASHSCOPE_PREFIX)


def openai_body(error: LongdocError) -> dict[str, Any]:
    return {
        "error": {
            "message": error.message,
            "type": error.openai_type,
            "param": error.param,
            "code": error.openai_code,
        }
    }


def dashscope_body(error: LongdocError, request_id: str) -> dict[str, Any]:
    return {"code": error.dashscope_code, "message": error.message, "request_id": request_id}


def error_response(request: Request, error: LongdocError) -> JSONResponse:
    request_id = getattr(request.state, "request_id", "")
    body = dashscope_body(error, request_id) if is_dashscope(request) else openai_body(error)
    headers = {"x-request-id": request_id}
    if error.retry_after is not None:
        headers["retry-after"] = str(max(1, round(error.retry_after)))
    return JSONResponse(body, status_code=error.status, headers=headers)


def reported(exc: Exception, where: str) -> LongdocError:
    """What a caller is told of ``exc``: itself when it is one of ours, else a generic server error
    (a bug's text may show internals), logged with its traceback. ``where`` names the request."""
    if isinstance(exc, LongdocError):
        return exc
    log.error("unexpected error in %s", where, exc_info=exc)
    return LongdocError(UNEXPECTED)


class UnexpectedErrors:
    """Answers an exception no handler took with the generic error envelope, and keeps it.

    Starlette's last-resort handler re-raises after answering, and uvicorn then closes the
    connection under a response that did not say ``connection: close``: a client that reuses it
    (the openai SDK) fails its next call. A response already started is cut short instead, as only
    closing the connection can tell the client so.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if started:
                raise
            request = Request(scope)
            error = reported(exc, f"{request.method} {request.url.path}")
            await error_response(request, error)(scope, receive, send)


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    first = exc.errors()[0] if exc.errors() else {}
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    param = ".".join(location) or None
    message = first.get("msg", "invalid request")
    return (f"{param}: {message}" if param else message), param


def install_error_handlers(app: FastAPI) -> None:
    async def on_longdoc_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LongdocError)
        return error_response(request, exc)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        message, param = _validation_message(exc)
        return error_response(request, InvalidRequest(message, param=param))

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        error: LongdocError
        if exc.status_code == 404:
            error = NotFound(f"Unknown route: {request.method} {request.url.path}")
        elif exc.status_code == 401:
            error = AuthenticationFailed(str(exc.detail))
        elif exc.status_code == 405:
            error = MethodNotAllowed(f"Method {request.method} is not allowed on {request.url.path}")
        else:
            error = InvalidRequest(str(exc.detail))
            error.status = exc.status_code
        return error_response(request, error)

    app.add_exception_handler(LongdocError, on_longdoc_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_middleware(UnexpectedErrors)
