"""Small PDFs, PNG headers, bombs and damaged copies made on the fly for parser tests (no hostile
file is committed)."""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zipfile
import zlib

# the Standard security handler's password padding (PDF 1.7, 7.6.3.3)
_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def make_pdf(pages: list[str | None], *, user_password: bytes | None = None) -> bytes:
    """A small PDF, one Helvetica line per page; ``None`` is a page whose object is missing.
    With ``user_password`` it is encrypted (RC4 40-bit, revision 2) as any PDF writer would."""
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    kids, number = [], 10
    for text in pages:
        if text is None:
            kids.append(999)
            continue
        content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects[number] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (number + 1)
        )
        objects[number + 1] = content  # a stream: wrapped (and maybe encrypted) below
        kids.append(number)
        number += 2
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    streams = {n for n in objects if n > 10 and n % 2 == 1}

    file_id = hashlib.md5(b"longdoc test").digest()
    trailer_extra = b""
    key = b""
    if user_password is not None:
        owner_key = hashlib.md5((b"owner" + _PAD)[:32]).digest()[:5]
        owner_entry = _rc4(owner_key, (user_password + _PAD)[:32])
        permissions = struct.pack("<i", -4)
        key = hashlib.md5((user_password + _PAD)[:32] + owner_entry + permissions + file_id).digest()[:5]
        user_entry = _rc4(key, _PAD)
        objects[4] = b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>" % (
            owner_entry.hex().encode(),
            user_entry.hex().encode(),
        )
        trailer_extra = b" /Encrypt 4 0 R"

    for num in streams:
        body = objects[num]
        if key:
            object_key = hashlib.md5(key + num.to_bytes(3, "little") + b"\0\0").digest()[:10]
            body = _rc4(object_key, body)
        objects[num] = b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream"
    ids = b" /ID [<%s> <%s>]" % (file_id.hex().encode(), file_id.hex().encode())
    return pdf_from_objects(objects, trailer_extra=ids + trailer_extra)


def pdf_from_objects(objects: dict[int, bytes], *, trailer_extra: bytes = b"") -> bytes:
    """A PDF of exactly these numbered object bodies (object 1 the catalog), with a correct
    cross-reference table: broken or hostile structures are written as they are."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for i in range(1, size):
        out += b"%010d 00000 n \n" % offsets[i] if i in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (size, trailer_extra, xref)
    return bytes(out)


def self_referencing_pdfs() -> dict[str, bytes]:
    """PDFs whose structure points back at itself, by name: page trees, outlines, stream lengths
    and resources that loop."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    text = b"BT /F1 12 Tf 72 720 Td (looped) Tj ET"
    stream = b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream"
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>"
    pages = b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>"
    return {
        "pages-loop.pdf": pdf_from_objects({1: catalog, 2: b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>", 3: font}),
        "parent-loop.pdf": pdf_from_objects(
            {1: catalog, 2: b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>", 3: font,
             4: b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 4 0 R] /Count 2 >>"}
        ),
        "outline-loop.pdf": pdf_from_objects(
            {1: b"<< /Type /Catalog /Pages 2 0 R /Outlines 6 0 R >>", 2: pages, 3: font, 4: page, 5: stream,
             6: b"<< /Type /Outlines /First 7 0 R /Last 7 0 R /Count 1 >>",
             7: b"<< /Title (looped) /Parent 6 0 R /Dest [4 0 R /Fit] /Next 7 0 R /First 7 0 R /Last 7 0 R >>"}
        ),
        "length-loop.pdf": pdf_from_objects(
            {1: catalog, 2: pages, 3: font, 4: page,
             5: b"<< /Length 5 0 R >>\nstream\n" + text + b"\nendstream"}
        ),
        "resources-loop.pdf": pdf_from_objects(
            {1: catalog, 2: pages, 3: font, 5: stream,
             4: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources 6 0 R /Contents 7 0 R >>",
             6: b"<< /Font << /F1 3 0 R >> /XObject << /X 8 0 R >> >>",
             7: b"<< /Length 7 >>\nstream\n/X Do  \nendstream",
             8: b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources 6 0 R /Length 7 >>\n"
                b"stream\n/X Do  \nendstream"}
        ),
    }  # fmt: skip


def zip_bomb(marker: str = "word/document.xml") -> bytes:
    """A zip whose ``marker`` entry inflates to 1 GiB of zeros (about 1 MB packed)."""
    buffer = io.BytesIO()
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open(marker, "w", force_zip64=True) as entry:
            for _ in range(1024):
                entry.write(zeros)
    return buffer.getvalue()


def replace_entry(archive: bytes, name: str, content: bytes) -> bytes:
    """A copy of the zip ``archive`` with entry ``name`` holding ``content`` instead."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(archive)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, content if info.filename == name else source.read(info))
    return buffer.getvalue()


def with_random_middle(data: bytes, count: int, *, seed: int) -> bytes:
    """``data`` with ``count`` random bytes written over its middle (a damaged copy)."""
    out = bytearray(data)
    start = max(0, len(out) // 2 - count // 2)
    out[start : start + count] = random.Random(seed).randbytes(count)
    return bytes(out[: len(data)])


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` pixels, with almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def header_only_image(kind: str, width: int, height: int) -> bytes:
    """A GIF, BMP or JPEG whose header claims ``width`` × ``height`` pixels, with no pixel data."""
    if kind == "gif":
        screen = struct.pack("<HHBBB", width, height, 0, 0, 0)
        frame = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00"
        return b"GIF89a" + screen + frame + b";"
    if kind == "bmp":
        info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
        return b"BM" + struct.pack("<IHHI", 14 + len(info), 0, 0, 14 + len(info)) + info
    if kind == "jpeg":
        frame = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
        return b"\xff\xd8" + b"\xff\xc0" + struct.pack(">H", len(frame) + 2) + frame + b"\xff\xd9"
    raise ValueError(f"no header for {kind}")
