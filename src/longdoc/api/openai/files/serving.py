"""Files API: wire requests to the document library and back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from starlette.concurrency import run_in_threadpool

from longdoc.api.openai.files.multipart import read_upload
from longdoc.api.openai.files.protocol import FileDeleted, FileList, FileObject
from longdoc.core.accounts import Principal
from longdoc.core.documents import Document
from longdoc.core.errors import InvalidRequest
from longdoc.core.files import FileRecord
from longdoc.documents.library import DocumentLibrary

CONTENT_CHUNK = 256 * 1024


class FilesServing:
    def __init__(self, library: DocumentLibrary) -> None:
        self._library = library

    async def upload(
        self, principal: Principal, content_type: str, body: AsyncIterator[bytes], query_purpose: str | None
    ) -> FileObject:
        # The purpose may arrive after the file part, so its own limit is checked once all is read.
        form = await read_upload(content_type, body, self._library.open_writer)
        writer = form.writer
        try:
            purpose = self._library.check_purpose(form.fields.get("purpose") or query_purpose)
            if writer is None:
                raise InvalidRequest("the upload has no 'file' part", param="file")
            if not form.filename:
                raise InvalidRequest("the 'file' part has no filename", param="file")
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        staged = await run_in_threadpool(writer.close)
        record = await run_in_threadpool(
            self._library.add,
            principal.account_id,
            staged,
            filename=form.filename,
            purpose=purpose,
        )
        return FileObject.of(record)

    def list(self, principal: Principal, *, after: str | None, limit: int, purpose: str | None) -> FileList:
        records, has_more = self._library.list(
            principal.account_id, limit=limit, after=after, purpose=purpose
        )
        data = [FileObject.of(r) for r in records]
        return FileList(
            data=data,
            has_more=has_more,
            first_id=data[0].id if data else None,
            last_id=data[-1].id if data else None,
        )

    def retrieve(self, principal: Principal, file_id: str) -> FileObject:
        return FileObject.of(self._library.get(principal.account_id, file_id))

    def delete(self, principal: Principal, file_id: str) -> FileDeleted:
        record = self._library.delete(principal.account_id, file_id)
        return FileDeleted(id=record.id)

    def content(self, principal: Principal, file_id: str) -> tuple[FileRecord, Iterator[bytes]]:
        record, blob = self._library.content(principal.account_id, file_id)

        def chunks() -> Iterator[bytes]:
            with blob:
                while chunk := blob.read(CONTENT_CHUNK):
                    yield chunk

        return record, chunks()

    def parsed(self, principal: Principal, file_id: str) -> tuple[FileRecord, Document]:
        return self._library.parsed(principal.account_id, file_id)
