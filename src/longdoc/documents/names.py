"""The name a document is kept under, the same on every store and from every source."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from longdoc.core.errors import InvalidRequest

FILENAME_MAX_BYTES = 255  # what common file systems allow, so the name can be saved back as given
_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")  # C0, DEL, C1
_LONGEST_EXTENSION_BYTES = 16  # a longer "extension" is part of the name, cut like the rest


def stored_filename(given: str) -> str:
    """The name an upload is stored under, the same on every store: control characters removed
    (PostgreSQL text cannot hold NUL; none of them is printable), the last path segment kept, cut
    to ``FILENAME_MAX_BYTES`` of UTF-8 at a character, keeping the extension."""
    name = _CONTROL_CHARACTERS.sub("", given).replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in ("", ".", ".."):
        raise InvalidRequest(
            "the file name is empty once control characters and folders are removed", param="file"
        )
    if len(name.encode()) <= FILENAME_MAX_BYTES:
        return name
    extension = PurePosixPath(name).suffix
    if len(extension.encode()) > _LONGEST_EXTENSION_BYTES:
        extension = ""
    stem = name[: len(name) - len(extension)].encode()[: FILENAME_MAX_BYTES - len(extension.encode())]
    return stem.decode(errors="ignore") + extension  # "ignore" drops only a character cut in two
