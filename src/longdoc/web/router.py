"""``GET /playground``: the browser playground, a static page that speaks only the public API.

The page and its assets need no key (they hold no data); every call the page makes carries the key
the user typed. A strict Content-Security-Policy means that even a rendering bug cannot run script
that arrived inside a document or an answer: only the files below may execute.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from longdoc.core.errors import NotFound

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
)

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}

PAGE = "playground.html"


def security_headers() -> dict[str, str]:
    return {
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cache-control": "no-cache",  # revalidate, so an upgraded server never pairs old and new scripts
    }


def static_assets() -> dict[str, Traversable]:
    """Every servable asset by name: a fixed list, so no request path ever reaches the file system."""
    folder = resources.files("longdoc.web").joinpath("static")
    return {
        entry.name: entry
        for entry in folder.iterdir()
        if entry.is_file() and any(entry.name.endswith(suffix) for suffix in MEDIA_TYPES)
    }


def _media_type(name: str) -> str:
    return next(kind for suffix, kind in MEDIA_TYPES.items() if name.endswith(suffix))


def build_router() -> APIRouter:
    router = APIRouter(tags=["playground"], include_in_schema=False)
    assets = static_assets()

    @router.api_route("/playground", methods=["GET", "HEAD"])
    async def playground() -> Response:
        return Response(assets[PAGE].read_bytes(), media_type=_media_type(PAGE), headers=security_headers())

    @router.get("/playground/")
    async def playground_slash() -> Response:
        return RedirectResponse("../playground", status_code=308)

    @router.api_route("/playground/static/{name}", methods=["GET", "HEAD"])
    async def asset(name: str) -> Response:
        entry = assets.get(name)
        if entry is None:
            raise NotFound(f"No playground asset named {name!r}.")
        return Response(entry.read_bytes(), media_type=_media_type(name), headers=security_headers())

    return router
