"""Wire models of the OpenAI-compatible Files API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from longdoc.core.files import FileRecord


class FileObject(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    object: Literal["file"] = "file"
    bytes: int
    filename: str
    purpose: str
    status: str
    status_details: str | None = None
    created_at: int
    # extensions: what parsing found
    x_format: str | None = Field(default=None, description="detected document format (extension)")
    x_pages: int | None = Field(default=None, description="pages, slides, sheets or chapters (extension)")
    x_tokens: int | None = Field(default=None, description="Qwen tokens of the parsed text (extension)")

    @classmethod
    def of(cls, record: FileRecord) -> FileObject:
        return cls(
            id=record.id,
            bytes=record.bytes,
            filename=record.filename,
            purpose=record.purpose.value,
            status=record.status.value,
            status_details=record.status_details,
            created_at=record.created_at,
            x_format=record.format,
            x_pages=record.pages,
            x_tokens=record.tokens,
        )


class FileList(BaseModel):
    object: Literal["list"] = "list"
    data: list[FileObject]
    has_more: bool
    first_id: str | None = None
    last_id: str | None = None


class FileDeleted(BaseModel):
    id: str
    object: Literal["file"] = "file"
    deleted: bool = True
