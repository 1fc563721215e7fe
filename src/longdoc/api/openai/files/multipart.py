"""Streaming multipart/form-data reader for uploads.

The ``file`` part goes straight into a blob writer (hashed as it arrives, never held whole in
memory); other fields are small strings. Size limits apply while the bytes arrive. Any failure
(a malformed body, a limit) is an InvalidRequest raised only once the whole body has been read
(and dropped), so that the client, which is still sending, gets to read the error response.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

from longdoc.core.errors import InvalidRequest
from longdoc.storage.blobs import BlobWriter

MAX_FIELD_BYTES = 64 * 1024
# A part header may be this long: room for a long file name (it is cut to 255 bytes when stored).
MAX_PART_HEADER_BYTES = 64 * 1024


@dataclass
class UploadForm:
    fields: dict[str, str] = field(default_factory=dict)
    filename: str | None = None
    writer: BlobWriter | None = None


class _PartState:
    def __init__(self) -> None:
        self.header_field = b""
        self.header_value = b""
        self.headers: dict[bytes, bytes] = {}
        self.name: str | None = None
        self.filename: str | None = None
        self.value = bytearray()


async def read_upload(
    content_type: str, body: AsyncIterator[bytes], open_writer: Callable[[], BlobWriter]
) -> UploadForm:
    """Read a multipart body; ``open_writer`` is called when the ``file`` part begins."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise InvalidRequest("the upload must be multipart/form-data with a 'file' part", param="file")

    form = UploadForm()
    part = _PartState()
    failure: list[BaseException] = []

    def on_part_begin() -> None:
        nonlocal part
        part = _PartState()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        part.header_field += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        part.header_value += data[start:end]

    def on_header_end() -> None:
        part.headers[part.header_field.lower()] = part.header_value
        part.header_field = part.header_value = b""

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(part.headers.get(b"content-disposition", b""))
        part.name = disposition.get(b"name", b"").decode("utf-8", "replace")
        raw_filename = disposition.get(b"filename")
        if part.name == "file":
            if form.writer is not None:  # its bytes would run on into the first file's
                failure.append(InvalidRequest("the upload has more than one 'file' part", param="file"))
                return
            part.filename = raw_filename.decode("utf-8", "replace") if raw_filename is not None else None
            form.writer = open_writer()
            form.filename = part.filename

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if failure:
            return
        if part.name == "file" and form.writer is not None:
            try:
                form.writer.write(data[start:end])
            except BaseException as exc:  # TooLarge: stop writing, report after the body is read
                failure.append(exc)
            return
        part.value += data[start:end]
        if len(part.value) > MAX_FIELD_BYTES:
            failure.append(InvalidRequest(f"form field '{part.name}' is too long", param=part.name))

    def on_part_end() -> None:
        if part.name and part.name != "file":
            form.fields[part.name] = part.value.decode("utf-8", "replace")

    try:
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": on_part_begin,
                "on_header_field": on_header_field,
                "on_header_value": on_header_value,
                "on_header_end": on_header_end,
                "on_headers_finished": on_headers_finished,
                "on_part_data": on_part_data,
                "on_part_end": on_part_end,
            },
            max_header_size=MAX_PART_HEADER_BYTES,
        )
    except FormParserError as exc:  # e.g. a boundary over the parser's 256 bytes
        raise _malformed(exc) from None
    try:
        async for chunk in body:
            if failure:
                continue  # drained, not parsed: see the module docstring
            try:
                parser.write(chunk)
            except FormParserError as exc:
                failure.append(_malformed(exc))
        if not failure and parser.state != MultipartState.END:
            failure.append(
                InvalidRequest("the multipart body ends before its closing boundary", param="file")
            )
        if failure:
            raise failure[0]
    except BaseException:
        if form.writer is not None:
            form.writer.abort()
        raise
    return form


def _malformed(exc: FormParserError) -> InvalidRequest:
    return InvalidRequest(f"the multipart body is malformed: {exc}", param="file")
