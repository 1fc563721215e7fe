"""``longdoc extract FILE... (--schema S.json | --prompt P) [--examples E.json]``: extraction
without a server."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from longdoc.config import Settings
from longdoc.core.errors import InvalidRequest, LongdocError
from longdoc.core.extraction import EXAMPLES_PARAM, ExtractionExample, ExtractionOptions, parse_examples

DEFAULT_PROMPT = "Extract the data the JSON schema describes from the documents."


def run_extract(
    settings: Settings,
    files: Sequence[str],
    *,
    schema_file: Path | None,
    prompt: str | None,
    model: str,
    output: str,
    grounding: bool,
    dedupe_keys: Sequence[str] = (),
    profile: str | None = None,
    examples_file: Path | None = None,
) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from longdoc.chat.conversation import Message
    from longdoc.chat.engine import AnswerEnd, ChatEngine, ChatRequest
    from longdoc.context.map_reduce import Progress as PartsRead
    from longdoc.context.tokens import TokenCounter
    from longdoc.documents.ready import ReadyDocument
    from longdoc.extraction.engine import ExtractionEngine
    from longdoc.inference.base import GenerationParams, InferenceBackend, TokenDelta
    from longdoc.inference.catalog import Catalog
    from longdoc.inference.registry import BackendRegistry
    from longdoc.parsing import parse_path

    err = Console(stderr=True)
    schema = json.loads(schema_file.read_text()) if schema_file else None
    tokens = TokenCounter()
    documents: list[ReadyDocument] = []
    pieces: list[str] = []
    backends: dict[str, InferenceBackend] = {}
    try:
        options = ExtractionOptions(
            grounding=grounding,
            dedupe_keys=tuple(dedupe_keys),
            profile=profile,
            examples=read_examples(examples_file) if examples_file else (),
        )
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
        ) as bar:
            task = bar.add_task("parsing", total=len(files))
            for path in map(Path, files):
                document = parse_path(path, filename=path.name, settings=settings.parsing)
                documents.append(
                    ReadyDocument(len(documents) + 1, path.name, None, document, tokens.count(document.text))
                )
                bar.advance(task)
            backends = BackendRegistry().build(settings.inference)
            engine = ChatEngine(
                None,
                Catalog.from_settings(settings.inference),
                backends,
                tokens,
                extractor=ExtractionEngine(tokens, settings.context, settings.extraction),
            )
            request = ChatRequest(
                model=model,
                messages=[Message("user", prompt or DEFAULT_PROMPT)],
                params=GenerationParams(json_schema=schema, json_object=schema is None),
                extraction=options,
            )
            prepared = engine.prepare_local(request, documents)
            reading = bar.add_task("extracting", total=None)
            for event in engine.stream(prepared, progress=True):
                if isinstance(event, PartsRead):
                    bar.update(reading, total=event.total, completed=event.done)
                elif isinstance(event, TokenDelta):
                    pieces.append(event.text)
                elif isinstance(event, AnswerEnd):
                    note = f"; {event.context.fallback}" if event.context.fallback else ""
                    err.print(
                        f"[dim]{len(event.context.passages)} parts read, {event.completion_tokens:,} tokens written{note}[/dim]"
                    )
    except LongdocError as exc:
        err.print(f"longdoc extract: {exc.message}")
        return 1
    except FileNotFoundError as exc:
        err.print(f"longdoc extract: {exc.filename}: no such file")
        return 1
    finally:
        for backend in backends.values():
            backend.close()  # the model's child process ends with the command
    sys.stdout.write(render(json.loads("".join(pieces)), output))
    return 0


def read_examples(path: Path) -> tuple[ExtractionExample, ...]:
    """``--examples``: a JSON file holding what ``x_extraction_examples`` takes."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"{path}: not JSON ({exc})", param=EXAMPLES_PARAM) from None
    try:
        return parse_examples(data)
    except InvalidRequest as exc:
        raise InvalidRequest(f"{path}: {exc.message}", param=exc.param) from None


def render(value: Any, output: str) -> str:
    """The answer as ``json`` (indented), ``jsonl`` (an item per line) or ``csv`` (an item per row)."""
    if output == "json":
        return json.dumps(value, ensure_ascii=False, indent=2) + "\n"
    rows = value if isinstance(value, list) else [value]
    if output == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    columns = list(dict.fromkeys(k for row in rows if isinstance(row, dict) for k in row)) or ["value"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        record = row if isinstance(row, dict) else {"value": row}
        writer.writerow([_cell(record.get(c)) for c in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
