"""HTTP routes of the Files API (mounted under /v1 and /compatible-mode/v1)."""

from __future__ import annotations

import mimetypes
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from longdoc.api.auth import authenticated
from longdoc.api.openai.files.protocol import FileDeleted, FileList, FileObject
from longdoc.api.openai.files.serving import FilesServing
from longdoc.core.accounts import Principal
from longdoc.documents.render import to_markdown

Caller = Annotated[Principal, Depends(authenticated)]

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "purpose"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "purpose": {"type": "string", "enum": ["file-extract", "batch"]},
                    },
                }
            }
        },
    }
}


def serving(request: Request) -> FilesServing:
    files: FilesServing = request.app.state.files
    return files


Serving = Annotated[FilesServing, Depends(serving)]


def build_router() -> APIRouter:
    router = APIRouter(tags=["files"])

    @router.post("/files", response_model=FileObject, openapi_extra=_UPLOAD_BODY)
    async def create_file(request: Request, caller: Caller, files: Serving) -> FileObject:
        return await files.upload(
            caller,
            request.headers.get("content-type", ""),
            request.stream(),
            request.query_params.get("purpose"),
        )

    @router.get("/files", response_model=FileList)
    async def list_files(
        caller: Caller,
        files: Serving,
        after: str | None = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        purpose: str | None = None,
    ) -> FileList:
        return await run_in_threadpool(files.list, caller, after=after, limit=limit, purpose=purpose)

    @router.get("/files/{file_id}", response_model=FileObject)
    async def retrieve_file(file_id: str, caller: Caller, files: Serving) -> FileObject:
        return await run_in_threadpool(files.retrieve, caller, file_id)

    @router.delete("/files/{file_id}", response_model=FileDeleted)
    async def delete_file(file_id: str, caller: Caller, files: Serving) -> FileDeleted:
        return await run_in_threadpool(files.delete, caller, file_id)

    @router.get("/files/{file_id}/content")
    async def file_content(file_id: str, caller: Caller, files: Serving) -> Response:
        record, chunks = await run_in_threadpool(files.content, caller, file_id)
        media_type = mimetypes.guess_type(record.filename)[0] or "application/octet-stream"
        return StreamingResponse(
            chunks,
            media_type=media_type,
            headers={
                "content-length": str(record.bytes),
                "content-disposition": f"attachment; filename*=UTF-8''{quote(record.filename)}",
            },
        )

    @router.get("/files/{file_id}/parsed")
    async def file_parsed(
        file_id: str,
        caller: Caller,
        files: Serving,
        format: Literal["text", "markdown", "json"] = "text",
    ) -> Response:
        """The parsed text of a processed file (extension)."""
        _, document = await run_in_threadpool(files.parsed, caller, file_id)
        if format == "json":
            return JSONResponse(document.model_dump(mode="json"))
        if format == "markdown":
            return PlainTextResponse(to_markdown(document), media_type="text/markdown; charset=utf-8")
        return PlainTextResponse(document.text)

    return router
