"""Uploaded files as the service records them."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class FilePurpose(StrEnum):
    FILE_EXTRACT = "file-extract"
    BATCH = "batch"
    BATCH_OUTPUT = "batch_output"


class FileStatus(StrEnum):
    UPLOADED = "uploaded"  # stored, parse pending or running
    PROCESSED = "processed"  # parsed, counted and indexed
    ERROR = "error"  # parsing failed; ``status_details`` says why


class FileRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    account_id: str
    purpose: FilePurpose
    filename: str
    bytes: int
    sha256: str
    status: FileStatus
    status_details: str | None = None
    created_at: int
    format: str | None = None
    pages: int | None = None
    tokens: int | None = None
    parsed_sha256: str | None = None
    index_sha256: str | None = (
        None  # the file's lexical retrieval index; None for files parsed before indexes
    )
    vectors_sha256: str | None = None  # dense vectors of the index's chunks, built in the background (opt-in)
