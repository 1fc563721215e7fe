"""DOC and PPT (Office 97–2003): converted by LibreOffice headless, then read as DOCX / PPTX.

Every conversion gets its own LibreOffice profile in a private temporary folder, so parallel
parses never share (or wait on) one user installation, and nothing is left behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from longdoc.core.documents import Document
from longdoc.core.errors import ParseFailed
from longdoc.parsing.base import ParseRequest
from longdoc.parsing.docx_backend import parse_docx
from longdoc.parsing.pptx_backend import parse_pptx

# target extension -> LibreOffice export filter
_FILTERS = {"docx": "docx:MS Word 2007 XML", "pptx": "pptx:Impress MS PowerPoint 2007 XML"}


def _tail(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    return " ".join(text.split())[-300:]


@contextmanager
def converted(request: ParseRequest, source_format: str, target: str) -> Iterator[Path]:
    """Yield the path of ``request.path`` converted to ``target`` (``docx`` or ``pptx``)."""
    label = source_format.upper()
    executable = shutil.which(request.settings.libreoffice)
    if executable is None:
        raise ParseFailed(f"{label} support needs LibreOffice (soffice) on the server")
    with tempfile.TemporaryDirectory(prefix="longdoc-lo-") as tmp:
        work = Path(tmp)
        # a fixed, harmless name: LibreOffice names its output after the input, and a user's file
        # name could start with "-" or hold characters the command line would choke on
        source = work / f"input.{source_format}"
        shutil.copyfile(request.path, source)
        out = work / "out"
        command = [
            executable,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            _FILTERS[target],
            "--outdir",
            str(out),
            str(source),
        ]
        env = {**os.environ, "HOME": str(work), "SAL_USE_VCLPLUGIN": "svp"}
        # a process group of its own, to be killed whole on a time-out; in this process's session,
        # so that ``parse_isolated`` can still end it with the parse
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=work, process_group=0
        )
        try:
            stdout, stderr = process.communicate(timeout=request.settings.libreoffice_seconds)
        except subprocess.TimeoutExpired:
            # soffice is a wrapper around soffice.bin: end the whole process group
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise ParseFailed(
                f"LibreOffice took longer than {request.settings.libreoffice_seconds} s to convert this {label} file"
            ) from None
        result = out / f"input.{target}"
        if not result.is_file() or result.stat().st_size == 0:
            detail = _tail(stderr) or _tail(stdout) or f"exit code {process.returncode}"
            raise ParseFailed(f"LibreOffice could not convert this {label} file ({detail})")
        yield result


class DocBackend:
    formats = ("doc",)

    def parse(self, request: ParseRequest) -> Document:
        with converted(request, "doc", "docx") as path:
            return parse_docx(replace(request, path=path), "doc")


class PptBackend:
    formats = ("ppt",)

    def parse(self, request: ParseRequest) -> Document:
        with converted(request, "ppt", "pptx") as path:
            return parse_pptx(replace(request, path=path), "ppt")
