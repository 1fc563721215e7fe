"""Macro-enabled, template and slideshow variants of DOCX/PPTX (.docm, .dotx, .potx, .ppsx…).

Their bodies are the same XML; only the main part's content type differs, and python-docx and
python-pptx refuse any but the plain one. A copy with the content type renamed reads normally;
macros are never run either way.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

_PLAIN = {
    "application/vnd.ms-word.document.macroEnabled.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml": "docx",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml": "pptx",
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml": "pptx",
    "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml": "pptx",
    "application/vnd.ms-powerpoint.template.macroEnabled.main+xml": "pptx",
}
_MAIN = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
_TYPES = "[Content_Types].xml"


def plain_ooxml(path: Path, workdir: Path) -> Path:
    """``path`` itself when its main part has the plain type, else a renamed copy in ``workdir``."""
    try:
        with zipfile.ZipFile(path) as archive:
            types = archive.read(_TYPES).decode("utf-8")
    except (KeyError, zipfile.BadZipFile, OSError, UnicodeDecodeError):
        return path  # the backend's own open reports what is wrong
    renames = {variant: _MAIN[kind] for variant, kind in _PLAIN.items() if variant in types}
    if not renames:
        return path
    for variant, plain in renames.items():
        types = types.replace(variant, plain)
    copy = workdir / f"plain{path.suffix or '.zip'}"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == _TYPES:
                target.writestr(_TYPES, types)
            else:
                with source.open(info) as src, target.open(info, "w") as dst:
                    shutil.copyfileobj(src, dst)
    return copy
