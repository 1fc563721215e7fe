"""An uploaded file made ready to read, all in one isolated child: parse, count tokens, build the index.

Everything that grows with a document's size happens in the parse child, under its limits, and
lands as files in its work folder (``document.json``, ``index.bin``, ``prepared.json``). The
process that asked — a server's worker thread or a ``longdoc worker`` — only streams those files
into the blob store, so its memory stays flat and its event loop never waits behind a big file.

The child runs as ``python -m longdoc.documents.preparation REQUEST.json``.
"""

from __future__ import annotations

import json
import resource
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from longdoc.config import ContextSettings, ParsingSettings
from longdoc.core.documents import Document, ParsingStrategy
from longdoc.core.errors import ParseFailed
from longdoc.parsing.isolation import isolated_parse

INDEX_FILE = "index.bin"
FACTS_FILE = "prepared.json"


@dataclass(frozen=True)
class PreparedFile:
    """What the child left in its work folder, and the facts the file record needs."""

    document_json: Path
    index: Path
    format: str
    pages: int | None
    tokens: int
    chunks: int  # in the index
    child_peak_rss_mb: float


@contextmanager
def prepare_isolated(
    path: Path,
    *,
    file_id: str,
    strategy: ParsingStrategy,
    filename: str | None,
    parsing: ParsingSettings,
    context: ContextSettings,
    stop: threading.Event | None = None,
) -> Iterator[PreparedFile]:
    """Parse, count and index ``path`` in a child (``isolated_parse`` with its limits and errors);
    yield the files it wrote, removed on leaving."""
    extra: dict[str, object] = {"file_id": file_id, "context": context.model_dump(mode="json")}
    with isolated_parse(
        path, strategy=strategy, filename=filename, settings=parsing, stop=stop, module=__name__, extra=extra
    ) as document_json:
        try:
            facts = json.loads((document_json.parent / FACTS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ParseFailed(f"the parser's result could not be read: {exc}") from exc
        yield PreparedFile(
            document_json=document_json,
            index=document_json.parent / INDEX_FILE,
            format=facts["format"],
            pages=facts["pages"],
            tokens=facts["tokens"],
            chunks=facts["chunks"],
            child_peak_rss_mb=facts["peak_rss_mb"],
        )


def prepare(document: Document, request: dict[str, object], work: Path) -> None:
    """In the child, after the parse: count the tokens, build and write the index, note the facts."""
    from longdoc.context.indexing import build_index
    from longdoc.context.tokens import TokenCounter

    counter = TokenCounter()
    tokens = counter.count(document.text)
    settings = ContextSettings.model_validate(request["context"])
    index = build_index(document, file_id=str(request["file_id"]), counter=counter, settings=settings)
    (work / INDEX_FILE).write_bytes(index.to_bytes())
    chunks = index.chunk_count
    del index
    facts = {
        "chunks": chunks,
        "format": document.format,
        "pages": len(document.pages) or None,
        "tokens": tokens,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    (work / FACTS_FILE).write_text(json.dumps(facts), encoding="utf-8")


if __name__ == "__main__":
    from longdoc.parsing.child import run

    run(sys.argv, after=prepare)
