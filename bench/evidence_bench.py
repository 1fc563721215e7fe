"""Evidence recall of the ``retrieve`` plan on real long-document questions, against plain BM25.

Over ``../shared/eval/retrieval`` (301 questions on 79 documents from qasper, mmlongbench-doc,
tat-dqa, finqa and cuad): each document is parsed with longdoc's own parser (``parse_path``, as
``longdoc parse``; parsed documents are cached by file hash), its tokens counted and its lexical
index built with ``build_index``, as the parse job does. For each question and token budget the
chat engine's ``retrieve`` plan (``ContextPlanner.retrieve``, with the label size the chat engine
uses) picks passages; the passages are written as predictions (file, page, text) and scored with
the eval's own ``score.py``. Evidence recall = share of questions where a passage read holds
a gold evidence page (or, for markdown, covers the gold paragraph).

The peer, measured in the same run: BM25 (``bm25s``, its own English tokeniser and stopwords)
over the same chunks, best chunks taken greedily until the budget is full (each passage costing
the same label as longdoc's).

Prints evidence recall per source and overall at each budget for both, with the mean evidence
coverage (share of a question's gold items read) and the tokens read; retrieval latency p50/p99
per query; index build speed (chunks/s). No language model runs. ``--set FIELD=VALUE``
overrides a ``ContextSettings`` field (e.g. ``retrieve_opening_share=0``); ``--details FILE``
writes per-question hits. Parsed documents are cached in ``$LONGDOC_BENCH_CACHE`` (default: a
folder in the temp dir). Shared data is looked up at ``../shared`` beside the repository; the
bench skips cleanly without it, and runs without the peer when ``bm25s`` is not installed.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EVAL = SHARED / "eval/retrieval"
CACHE = Path(os.environ.get("LONGDOC_BENCH_CACHE", Path(tempfile.gettempdir()) / "longdoc-evidence-bench"))
SOURCES = ["qasper", "mmlongbench-doc", "tat-dqa", "finqa", "cuad"]
BUDGETS = [2_000, 4_000, 8_000, 16_000, 32_000]


@dataclass(frozen=True)
class Source:
    """One document as the planner sees it (``PlanSource``), with its index already built."""

    key: str
    name: str
    document: Any
    tokens: int
    index: Any

    def stored_index(self) -> Any:
        return self.index


@dataclass
class Prepared:
    """A document parsed, counted, chunked and indexed."""

    source: Source
    chunks: list[Any]
    build_seconds: float


# -- documents


def parsed(path: Path, strategy: str, fresh: bool) -> Any:
    """``path`` parsed as ``longdoc parse`` does, cached by the file's hash and the strategy."""
    from longdoc.core.documents import Document, ParsingStrategy
    from longdoc.parsing import parse_path

    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    cached = CACHE / f"{digest}-{strategy}.json"
    if cached.exists() and not fresh:
        return Document.model_validate_json(cached.read_text(encoding="utf-8"))
    document = parse_path(path, strategy=ParsingStrategy(strategy), filename=path.name)
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(document.model_dump_json(), encoding="utf-8")
    return document


def prepare(name: str, strategy: str, fresh: bool, counter: Any, settings: Any) -> Prepared:
    from longdoc.context.indexing import build_index

    document = parsed(EVAL / name, strategy, fresh)
    tokens = counter.count(document.text)
    started = time.perf_counter()
    index = build_index(document, file_id=name, counter=counter, settings=settings)
    elapsed = time.perf_counter() - started
    return Prepared(Source(name, Path(name).name, document, tokens, index), index.chunks(), elapsed)


# -- the two ways of choosing passages


def label_tokens(counter: Any, name: str) -> int:
    """What the chat engine adds around each passage (its "[n] (name, page p)" line)."""
    from longdoc.context.map_reduce import location

    return counter.count(f"[100] ({location(name, 10_000)})\n\n\n") + 1


def longdoc_reads(planner: Any, counter: Any) -> Callable[[Prepared, str, int], list[Any]]:
    from longdoc.context.plans import PlanRequest
    from longdoc.context.query import Turn
    from longdoc.inference.base import Throughput

    speed = Throughput(200.0, 30.0)

    def reads(doc: Prepared, question: str, budget: int) -> list[Any]:
        request = PlanRequest(
            [doc.source],
            [Turn("user", question)],
            budget,
            speed,
            strategy="retrieve",
            label_tokens=label_tokens(counter, doc.source.name),
        )
        return list(planner.plan(request).passages)

    return reads


class Bm25Peer:
    """Plain BM25 (bm25s, Lucene variant, English stopwords) over one document's chunks."""

    def __init__(self, doc: Prepared) -> None:
        import bm25s

        text = doc.source.document.text
        self.doc = doc
        started = time.perf_counter()
        corpus = bm25s.tokenize([c.text(text) for c in doc.chunks], stopwords="en", show_progress=False)
        self.retriever = bm25s.BM25(method="lucene")
        self.retriever.index(corpus, show_progress=False)
        self.build_seconds = time.perf_counter() - started

    def reads(self, question: str, budget: int, overhead: int) -> list[Any]:
        import bm25s

        query = bm25s.tokenize([question], stopwords="en", show_progress=False)
        if len(query.ids[0]) == 0:
            return []
        k = len(self.doc.chunks)
        ids, scores = self.retriever.retrieve(query, k=k, show_progress=False, n_threads=1)
        chosen = []
        room = budget
        for chunk, score in zip(ids[0].tolist(), scores[0].tolist(), strict=True):
            if score <= 0:
                break
            cost = self.doc.chunks[chunk].tokens + overhead
            if cost <= room:
                chosen.append(self.doc.chunks[chunk])
                room -= cost
        return chosen


# -- scoring


def prediction(question: dict[str, Any], doc: Prepared, passages: list[Any]) -> dict[str, Any]:
    text = doc.source.document.text
    read = [
        {"file": doc.source.key, "page": p.page, "text": p.text(text), "tokens": p.tokens} for p in passages
    ]
    return {"id": question["id"], "answer": "", "read": read}


def score(questions: list[dict[str, Any]], predictions: list[dict[str, Any]], folder: Path) -> dict[str, Any]:
    """``score.py --json`` over ``questions`` and ``predictions``."""
    gold = folder / "questions.jsonl"
    gold.write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
    predicted = folder / "predictions.jsonl"
    predicted.write_text("".join(json.dumps(p) + "\n" for p in predictions), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(EVAL / "score.py"), str(gold), str(predicted), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def percentile_ms(times: list[float], q: float) -> float:
    return float(np.percentile(times, q) * 1000) if times else 0.0


# -- the run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--budgets", default=",".join(map(str, BUDGETS)), help="token budgets, comma-separated"
    )
    parser.add_argument("--sources", default=",".join(SOURCES), help="sources to run, comma-separated")
    parser.add_argument("--strategy", default="auto", choices=["auto", "text_only", "text_and_images"])
    parser.add_argument("--fresh", action="store_true", help="parse again rather than use the cache")
    parser.add_argument("--no-peer", action="store_true", help="skip the bm25s peer")
    parser.add_argument("--details", type=Path, help="write per-question hits (JSON lines) here")
    parser.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", help="override a ContextSettings field"
    )
    args = parser.parse_args()
    if not EVAL.is_dir():
        print(f"skipped: {EVAL} (shared eval data) is absent")
        return
    from longdoc.config import ContextSettings
    from longdoc.context.plans import ContextPlanner
    from longdoc.context.tokens import TokenCounter

    budgets = [int(b) for b in args.budgets.split(",")]
    sources = args.sources.split(",")
    questions = [json.loads(line) for line in (EVAL / "questions.jsonl").read_text().splitlines() if line]
    questions = [q for q in questions if q["source"] in sources]
    counter = TokenCounter()
    settings = ContextSettings(**dict(pair.split("=", 1) for pair in args.set))
    started = time.perf_counter()
    docs = {
        name: prepare(name, args.strategy, args.fresh, counter, settings)
        for name in dict.fromkeys(f for q in questions for f in q["files"])
    }
    prepare_seconds = time.perf_counter() - started
    reads = longdoc_reads(ContextPlanner(settings, counter), counter)
    if not args.no_peer and importlib.util.find_spec("bm25s") is None:
        print("(bm25s is not installed: the peer is skipped; pip install bm25s)\n")
        args.no_peer = True
    peers = {} if args.no_peer else {name: Bm25Peer(doc) for name, doc in docs.items()}

    systems = ["longdoc"] + ([] if args.no_peer else ["bm25s"])
    predictions: dict[tuple[str, int], list[dict[str, Any]]] = {(s, b): [] for s in systems for b in budgets}
    times: dict[str, list[float]] = {s: [] for s in systems}
    for q in questions:
        doc = docs[q["files"][0]]
        overhead = label_tokens(counter, doc.source.name)
        for budget in budgets:
            t0 = time.perf_counter()
            chosen = reads(doc, q["question"], budget)
            times["longdoc"].append(time.perf_counter() - t0)
            predictions["longdoc", budget].append(prediction(q, doc, chosen))
            if peers:
                t0 = time.perf_counter()
                chosen = peers[q["files"][0]].reads(q["question"], budget, overhead)
                times["bm25s"].append(time.perf_counter() - t0)
                predictions["bm25s", budget].append(prediction(q, doc, chosen))

    with tempfile.TemporaryDirectory() as tmp:
        tables = {key: score(questions, preds, Path(tmp)) for key, preds in predictions.items()}
    if args.details:
        write_details(args.details, questions, predictions)

    present = [s for s in sources if any(q["source"] == s for q in questions)]
    columns = [*present, "ALL"]
    print(
        f"### Evidence recall ({len(questions)} questions, {len(docs)} documents, parse strategy {args.strategy})\n"
    )
    counts = {s: sum(q["source"] == s for q in questions) for s in present}
    head = " | ".join(f"{c} ({counts.get(c, len(questions))})" for c in columns)
    print(f"| system | budget | {head} | coverage ALL | tokens read (mean) |")
    print("| --- | ---: |" + " ---: |" * (len(columns) + 2))
    for system in systems:
        for budget in budgets:
            table = tables[system, budget]
            cells = " | ".join(f"{table[c]['evidence_recall']:.3f}" for c in columns)
            read = np.mean([sum(r["tokens"] for r in p["read"]) for p in predictions[system, budget]])
            print(
                f"| {system} | {budget:,} | {cells} | {table['ALL']['evidence_coverage']:.3f} | {read:,.0f} |"
            )
    chunks = sum(len(d.chunks) for d in docs.values())
    build = sum(d.build_seconds for d in docs.values())
    print("\n| system | retrieval p50 ms | p99 ms | index build chunks/s |")
    print("| --- | ---: | ---: | ---: |")
    print(
        f"| longdoc | {percentile_ms(times['longdoc'], 50):.2f} | {percentile_ms(times['longdoc'], 99):.2f} "
        f"| {chunks / build:,.0f} |"
    )
    if peers:
        peer_build = sum(p.build_seconds for p in peers.values())
        print(
            f"| bm25s | {percentile_ms(times['bm25s'], 50):.2f} | {percentile_ms(times['bm25s'], 99):.2f} "
            f"| {chunks / peer_build:,.0f} |"
        )
    tokens = sum(d.source.tokens for d in docs.values())
    print(
        f"\n({chunks:,} chunks, {tokens:,} tokens; parse (cached in {CACHE}), count and index took "
        f"{prepare_seconds:.1f} s; longdoc's build time is chunking + indexing, bm25s's is tokenising + "
        "indexing the same chunks)"
    )


def write_details(
    path: Path, questions: list[dict[str, Any]], predictions: dict[tuple[str, int], list[dict[str, Any]]]
) -> None:
    """Per question, system and budget: whether a gold page (or paragraph) was read."""
    sys.path.insert(0, str(EVAL))
    import score as scorer  # the eval's own scorer

    with path.open("w", encoding="utf-8") as f:
        for (system, budget), preds in predictions.items():
            for q, p in zip(questions, preds, strict=True):
                hit = any(scorer.evidence_hits(q["evidence"], p["read"]))
                pages = sorted({r["page"] for r in p["read"] if r["page"] is not None})
                row = {"id": q["id"], "source": q["source"], "system": system, "budget": budget, "hit": hit}
                f.write(json.dumps({**row, "pages": pages}) + "\n")


if __name__ == "__main__":
    main()
