"""``longdoc serve | worker | keys | parse | ask | extract | usage`` — the command line."""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from longdoc.config import Settings, load_settings


def _settings(args: argparse.Namespace, **extra: Any) -> Settings:
    overrides: dict[str, Any] = dict(extra)
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return load_settings(getattr(args, "config", None), **overrides)


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format='{"time":"%(asctime)s","level":"%(levelname)s","logger":"%(name)s","message":%(message)r}',
        stream=sys.stderr,
    )


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from longdoc.api.app import create_app
    from longdoc.services import build_services

    settings = _settings(args)
    host = args.host or settings.server.host
    port = args.port or settings.server.port
    _configure_logging(settings.server.log_level)
    services = build_services(settings)
    key = services.keys.bootstrap("default")
    if key:
        print("Created account 'default' with a new API key:", flush=True)
        print(f"LONGDOC_API_KEY={key}", flush=True)
    services.start_workers(settings.server.workers_in_process if args.workers is None else args.workers)
    services.warm_up()
    app = create_app(services)
    print(f"longdoc serving on http://{host}:{port} (data: {settings.data_dir.resolve()})", flush=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        services.close()
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from longdoc.services import build_services

    settings = _settings(args)
    _configure_logging(settings.server.log_level)
    services = build_services(settings)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    services.start_workers(args.threads)
    print(f"longdoc worker: {args.threads} thread(s) on {settings.database_url.split('@')[-1]}", flush=True)
    stopped.wait()
    services.close()
    return 0


def cmd_keys_create(args: argparse.Namespace) -> int:
    from longdoc.accounts.keys import KeyService
    from longdoc.storage.database import Database

    settings = _settings(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url)
    db.migrate()
    key = KeyService(db).create_key(args.account)
    db.dispose()
    print(f"New key for account '{args.account}':")
    print(key)
    return 0


def cmd_parse(args: argparse.Namespace) -> int:
    from longdoc.core.documents import ParsingStrategy
    from longdoc.core.errors import ParseFailed
    from longdoc.parsing import parse_path

    settings = _settings(args)
    try:
        document = parse_path(
            Path(args.file),
            strategy=ParsingStrategy(args.strategy),
            filename=Path(args.file).name,
            settings=settings.parsing,
        )
    except ParseFailed as exc:
        print(f"longdoc parse: {args.file}: {exc.message}", file=sys.stderr)
        return 1
    except FileNotFoundError:
        print(f"longdoc parse: {args.file}: no such file", file=sys.stderr)
        return 1
    if args.json:
        json.dump(document.model_dump(mode="json"), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(document.text + "\n")
    for error in document.errors:
        print(f"longdoc parse: page {error.page}: {error.reason}", file=sys.stderr)
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import Progress

    from longdoc.chat.conversation import Message
    from longdoc.chat.engine import AnswerEnd, ChatEngine, ChatRequest
    from longdoc.context.tokens import TokenCounter
    from longdoc.core.errors import LongdocError
    from longdoc.documents.ready import ReadyDocument
    from longdoc.inference.base import InferenceBackend
    from longdoc.inference.catalog import Catalog
    from longdoc.inference.registry import BackendRegistry
    from longdoc.parsing import parse_path

    settings = _settings(args)
    err = Console(stderr=True)
    tokens = TokenCounter()
    documents: list[ReadyDocument] = []
    backends: dict[str, InferenceBackend] = {}
    try:
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("parsing", total=len(args.files))
            for path in map(Path, args.files):
                progress.update(task, description=f"parsing {path.name}")
                document = parse_path(path, filename=path.name, settings=settings.parsing)
                documents.append(
                    ReadyDocument(len(documents) + 1, path.name, None, document, tokens.count(document.text))
                )
                progress.advance(task)
        backends = BackendRegistry().build(settings.inference)
        engine = ChatEngine(None, Catalog.from_settings(settings.inference), backends, tokens)
        request = ChatRequest(
            model=args.model,
            messages=[Message("system", "You are a helpful assistant."), Message("user", args.question)],
        )
        with err.status(f"reading {sum(d.tokens for d in documents):,} tokens with {args.model}"):
            prepared = engine.prepare_local(request, documents)
            events = engine.stream(prepared)
            first = next(events)
        for event in itertools.chain([first], events):
            if isinstance(event, AnswerEnd):
                sys.stdout.write("\n")
                err.print(
                    f"[dim]{event.prompt_tokens:,} prompt + {event.completion_tokens:,} completion tokens, "
                    f"plan {event.context.plan}[/dim]"
                )
            else:
                sys.stdout.write(event.text)
                sys.stdout.flush()
    except LongdocError as exc:
        err.print(f"longdoc ask: {exc.message}")
        return 1
    except FileNotFoundError as exc:
        err.print(f"longdoc ask: {exc.filename}: no such file")
        return 1
    finally:
        for backend in backends.values():
            backend.close()  # the model's child process ends with the command
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from longdoc.extraction.command import run_extract

    return run_extract(
        _settings(args),
        args.files,
        schema_file=args.schema,
        prompt=args.prompt,
        model=args.model,
        output=args.format,
        grounding=args.grounding,
        dedupe_keys=args.dedupe_keys.split(",") if args.dedupe_keys else (),
        profile=args.profile,
        examples_file=args.examples,
    )


def _since(value: str) -> float:
    from datetime import UTC, datetime

    moment = datetime.fromisoformat(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def cmd_usage(args: argparse.Namespace) -> int:
    from longdoc.accounts.ledger import UsageLedger
    from longdoc.core.usage import money
    from longdoc.storage.accounts import AccountRepository
    from longdoc.storage.database import Database

    settings = _settings(args)
    try:
        since = _since(args.since) if args.since else None
    except ValueError:
        print(
            f"longdoc usage: --since {args.since!r} is not a date (2025-01-31) or date-time", file=sys.stderr
        )
        return 2
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url)
    db.migrate()
    try:
        accounts = AccountRepository()
        with db.read() as conn:
            account = accounts.account_by_name(conn, args.account) if args.account else None
            if args.account and account is None:
                print(f"longdoc usage: no account named {args.account!r}", file=sys.stderr)
                return 1
        ledger = UsageLedger(db, settings.batches)
        totals = ledger.totals(
            group_by=["account", "model"], account_id=account.id if account else None, start=since
        )
        with db.read() as conn:
            names = {t.group["account"]: accounts.account_by_id(conn, t.group["account"]) for t in totals}
    finally:
        db.dispose()
    header = [
        "account",
        "model",
        "requests",
        "batch",
        "input",
        "output",
        "cached",
        "free",
        "list cost",
        "cost",
        "currency",
    ]
    rows = [
        [
            getattr(names[t.group["account"]], "name", t.group["account"]),
            t.group["model"],
            *(
                f"{n:,}"
                for n in (
                    t.requests,
                    t.batch_requests,
                    t.input_tokens,
                    t.output_tokens,
                    t.cached_tokens,
                    t.free_tokens,
                )
            ),
            f"{money(t.list_pico):.6f}",
            f"{money(t.cost_pico):.6f}",
            t.currency,
        ]
        for t in totals
    ]
    for currency in sorted({t.currency for t in totals}):
        mine = [t for t in totals if t.currency == currency]
        sums = [
            sum(getattr(t, f) for t in mine)
            for f in (
                "requests",
                "batch_requests",
                "input_tokens",
                "output_tokens",
                "cached_tokens",
                "free_tokens",
            )
        ]
        rows.append(
            [
                "TOTAL",
                "",
                *(f"{n:,}" for n in sums),
                f"{money(sum(t.list_pico for t in mine)):.6f}",
                f"{money(sum(t.cost_pico for t in mine)):.6f}",
                currency,
            ]
        )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [
            str(c).ljust(w) if i < 2 or i == len(header) - 1 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
    if not totals:
        print("(no usage recorded)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="longdoc", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", help="data folder (default ./longdoc-data)")
        p.add_argument("--config", type=Path, help="a TOML settings file (default ./longdoc.toml)")

    serve = commands.add_parser("serve", help="API, workers and playground in one process")
    common(serve)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--workers",
        type=int,
        help="job worker threads in this process (default server.workers_in_process; 0: API only)",
    )
    serve.set_defaults(func=cmd_serve)

    worker = commands.add_parser("worker", help="run background jobs (parse, index, batch)")
    common(worker)
    worker.add_argument("--threads", type=int, default=2)
    worker.set_defaults(func=cmd_worker)

    keys = commands.add_parser("keys", help="manage API keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = key_commands.add_parser("create", help="create a key (and the account if new)")
    common(create)
    create.add_argument("--account", required=True)
    create.set_defaults(func=cmd_keys_create)

    parse = commands.add_parser("parse", help="print a file's parsed text without a server")
    common(parse)
    parse.add_argument("file")
    parse.add_argument("--strategy", default="auto", choices=["auto", "text_only", "text_and_images"])
    parse.add_argument("--json", action="store_true", help="print the whole Document as JSON")
    parse.set_defaults(func=cmd_parse)

    ask = commands.add_parser("ask", help="ask a question about files, without a server")
    common(ask)
    ask.add_argument("files", nargs="+", metavar="FILE")
    ask.add_argument("-q", "--question", required=True)
    ask.add_argument("--model", default="qwen-long")
    ask.set_defaults(func=cmd_ask)

    extract = commands.add_parser(
        "extract", help="extract structured data (JSON) from files, without a server"
    )
    common(extract)
    extract.add_argument("files", nargs="+", metavar="FILE")
    wanted = extract.add_mutually_exclusive_group(required=True)
    wanted.add_argument("--schema", type=Path, help="a JSON schema file the answer follows")
    wanted.add_argument("--prompt", help="an instruction naming the fields (a schema is derived from it)")
    extract.add_argument("--format", default="json", choices=["json", "jsonl", "csv"])
    extract.add_argument("--grounding", action="store_true", help="each item carries _source spans")
    extract.add_argument("--dedupe-keys", help="comma-separated fields identifying an item")
    extract.add_argument("--profile", help="opt-in domain rules for extraction, e.g. contracts")
    extract.add_argument(
        "--examples",
        type=Path,
        help='a JSON file of few-shot examples: [{"text": "<a short document>", "output": <its answer>}]',
    )
    extract.add_argument("--model", default="qwen-doc-turbo")
    extract.set_defaults(func=cmd_extract)

    usage = commands.add_parser("usage", help="print token usage and cost from the usage ledger")
    common(usage)
    usage.add_argument("--account", help="one account's usage (default: every account)")
    usage.add_argument("--since", help="from this date or date-time on (ISO, UTC unless it says otherwise)")
    usage.set_defaults(func=cmd_usage)
    return parser


def main(argv: list[str] | None = None) -> int:
    # OpenMP reads this once, when llama.cpp loads: spinning threads cost 10x under CPU contention.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
