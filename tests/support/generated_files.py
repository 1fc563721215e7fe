"""Small PDFs and PNG headers made on the fly for parser tests (no hostile file is committed)."""

from __future__ import annotations

import hashlib
import struct
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

    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for num in sorted(objects):
        body = objects[num]
        if num in streams:
            if key:
                object_key = hashlib.md5(key + num.to_bytes(3, "little") + b"\0\0").digest()[:10]
                body = _rc4(object_key, body)
            body = b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream"
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for i in range(1, size):
        out += b"%010d 00000 n \n" % offsets[i] if i in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R /ID [<%s> <%s>]%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        size,
        file_id.hex().encode(),
        file_id.hex().encode(),
        trailer_extra,
        xref,
    )
    return bytes(out)


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
