"""Needle in a haystack through the real chat API with the embedded model.

For each length (100k, 1M and 10M tokens by default; ``BENCH_NIAH_LENGTHS=100k,1m`` picks), a
haystack of real text — Paul Graham's essays, the corpus PDFs' text layers, the Kleister NDA
texts, repeated as needed — gets a random key → value needle at each of ten depths 0 %…100 %
(one haystack per depth; ``BENCH_NIAH_MODE=distractors`` puts all ten in one haystack, so each
question has nine look-alike needles), is uploaded as a text file to a real ``longdoc serve``
(embedded Qwen2.5-Coder-0.5B), and the needle is asked for through the openai SDK. Prints the accuracy by length × depth, seconds per question, the
upload → processed time and peak RSS of the server (its workers parse, count and index in
process; the parse child is counted too), in-process retrieval latency over the stored index,
and — in the same run — a truncation baseline: the same questions over only the first window
of the haystack (what fits the embedded model's prompt budget), passed as a plain-text document.

Shared data is looked up at ``../shared`` beside the repository; the bench skips cleanly without it.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

# qwen-long accepts 10,000,000 input tokens, conversation included: the largest haystack stays under
LENGTHS = {"100k": 100_000, "1m": 1_000_000, "10m": 9_990_000}
DEPTHS = [round(i * 100 / 9) for i in range(10)]  # 0, 11, 22 … 100 %
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_TOKENS = 40


def embedded_budget() -> int:
    from longdoc.config import LlamaCppBackendSettings

    return LlamaCppBackendSettings().prompt_budget_tokens or 2_000


# what the truncation baseline passes: the first tokens that fit the budget with the question
def first_window_tokens() -> int:
    return embedded_budget() - 100


@dataclass
class Needle:
    depth: int
    key: str
    value: str

    @property
    def sentence(self) -> str:
        return f"The access code for vault {self.key} is {self.value}."

    @property
    def question(self) -> str:
        return f"What is the access code for vault {self.key}?"

    def found_in(self, answer: str) -> bool:
        digits = re.sub(r"\D", "", answer)
        return self.value in answer or self.value.replace("-", "") in digits


@dataclass
class Result:
    label: str
    tokens: int = 0
    processed_s: list[float] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    retrieval_ms: list[float] = field(default_factory=list)
    hits: dict[int, bool] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    baseline_hits: dict[int, bool] = field(default_factory=dict)
    baseline_seconds: list[float] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)


# -- haystacks


def source_texts() -> list[str]:
    """Real text in reading order: essays first, then manuals, then contracts."""
    from retrieval_bench import kleister_rows, pdf_pages, unescape

    essays = SHARED / "eval/niah/PaulGrahamEssays"
    texts = [p.read_text() for p in sorted(essays.glob("*.txt")) if "LICENSE" not in p.name]
    for name in ["pdf/R-intro.pdf", "pdf/R-exts.pdf", "pdf/R-data.pdf", "pdf/gnuplot.pdf", "pdf/glpk.pdf",
                 "big/R-fullrefman.pdf", "pdf/debian-edu-bookworm-manual.en.pdf",
                 "pdf/debian-edu-bookworm-manual.zh-cn.pdf"]:  # fmt: skip
        texts.append("\n\n".join(pdf_pages(SHARED / "corpus" / name)))
    texts.extend(unescape(row[5]).replace("\f", "\n\n") for row in kleister_rows())
    return [t.strip() for t in texts if t.strip()]


def haystack_text(counter, texts: list[str], tokens: int) -> str:  # type: ignore[no-untyped-def]
    """About ``tokens`` tokens of ``texts``, repeated as needed."""
    sample = "\n\n".join(texts[:: max(1, len(texts) // 40)])
    per_char = counter.count(sample[:2_000_000]) / len(sample[:2_000_000])
    budget = int(tokens / per_char)
    parts: list[str] = []
    size = 0
    while size < budget:
        for text in texts:
            piece = text[: budget - size]
            parts.append(piece)
            size += len(piece) + 2
            if size >= budget:
                break
    text = "\n\n".join(parts)
    actual = counter.count(text)
    if actual > tokens:  # the estimate ran over: cut to size
        text = text[: int(len(text) * tokens / actual * 0.999)]
    return text


def with_needles(text: str, needles: list[Needle]) -> str:
    """``text`` with each needle's sentence at its depth, as a paragraph of its own."""
    for needle in sorted(needles, key=lambda n: -n.depth):  # deepest first: earlier offsets stay valid
        at = int(len(text) * needle.depth / 100)
        if at < len(text):
            brk = text.find("\n\n", at)
            at = len(text) if brk < 0 else brk
        text = text[:at] + f"\n\n{needle.sentence}\n\n" + text[at:]
    return text


def opening(needle: Needle) -> str:
    """A role prompt that differs per question, so that no question reuses the KV cache of the
    previous one (llama.cpp keeps the longest common prompt prefix): each is timed from scratch."""
    return f"You are a helpful assistant. This is question {needle.key}."


def random_needles(rng: random.Random) -> list[Needle]:
    return [
        Needle(
            depth,
            "".join(rng.choice(ALPHABET) for _ in range(4)),
            f"{rng.randint(100, 999)}-{rng.randint(100, 999)}",
        )
        for depth in DEPTHS
    ]


# -- measuring the server


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants."""
    total = 0
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
        stack.extend(children.get(current, []))
    return total / 1024


class RssSampler:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            self._stop.wait(0.2)


def retrieval_latency(data_dir: Path, file_id: str, needles: list[Needle], counter) -> list[float]:  # type: ignore[no-untyped-def]
    """Milliseconds the planner takes to pick passages over the stored index (loaded once)."""
    import sqlite3

    from longdoc.config import ContextSettings
    from longdoc.context.lexical import LexicalIndex
    from longdoc.context.plans import ContextPlanner, PlanRequest
    from longdoc.context.query import Turn
    from longdoc.core.documents import Document
    from longdoc.inference.base import Throughput

    db = sqlite3.connect(data_dir / "longdoc.db")
    (sha,) = db.execute("select index_sha256 from files where id = ?", (file_id,)).fetchone()
    index = LexicalIndex.load(next(data_dir.rglob(sha)))

    empty = Document(format="txt", text="")  # retrieval needs only the index

    @dataclass(frozen=True)
    class Stored:
        key: str
        name: str = "haystack.txt"
        tokens: int = 10**9

        @property
        def document(self) -> Document:
            return empty

        def stored_index(self) -> LexicalIndex:
            return index

    planner = ContextPlanner(ContextSettings(), counter)
    times = []
    for needle in needles * 3:
        room = embedded_budget() - 70  # less the conversation and instructions
        request = PlanRequest([Stored(file_id)], [Turn("user", needle.question)], room, Throughput(150, 30))
        started = time.perf_counter()
        planner.plan(request)
        times.append((time.perf_counter() - started) * 1000)
    return times


# -- the run


def run_length(label: str, tokens: int, texts: list[str], counter, rng: random.Random, mode: str) -> Result:  # type: ignore[no-untyped-def]
    """``single``: one haystack per depth holding that depth's needle (the classic test);
    ``distractors``: one haystack holding all ten, so each question has nine look-alikes."""
    import openai

    from support.server import LongdocServer

    result = Result(label)
    needles = random_needles(rng)
    base = haystack_text(counter, texts, tokens)
    folder = Path(tempfile.mkdtemp(prefix=f"niah-{label}-"))
    # every question bills the whole haystack: 10 questions over 10M tokens pass any per-minute limit
    server = LongdocServer(folder / "data", env={"LONGDOC_RATE_LIMITS__ENABLED": "false"}).start()
    try:
        client = openai.OpenAI(
            api_key=server.api_key, base_url=server.origin + "/compatible-mode/v1", max_retries=0, timeout=600
        )
        client.chat.completions.create(  # load the model before timing anything
            model="qwen-long", max_tokens=1, messages=[{"role": "user", "content": "Hi"}]
        )
        groups = [[n] for n in needles] if mode == "single" else [needles]
        for group in groups:
            text = with_needles(base, group)
            result.tokens = counter.count(text)
            path = folder / f"haystack-{label}.txt"
            path.write_text(text)
            first_window = counter.decode(counter.encode(text[:100_000])[: first_window_tokens()])
            del text
            file_id = upload(client, server, path, result)
            path.unlink()
            if not result.retrieval_ms:
                result.retrieval_ms = retrieval_latency(folder / "data", file_id, needles, counter)
            for needle in group:
                ask(client, label, needle, result, f"fileid://{file_id}", baseline=False)
                ask(client, label, needle, result, first_window, baseline=True)
            client.files.delete(file_id)
    finally:
        server.stop()
        for leftover in sorted(folder.rglob("*"), reverse=True):
            leftover.unlink() if leftover.is_file() else leftover.rmdir()
        folder.rmdir()
    return result


def upload(client, server, path: Path, result: Result) -> str:  # type: ignore[no-untyped-def]
    """Upload ``path`` and wait until it is processed, timing it and sampling the server's memory."""
    assert server._process is not None
    with RssSampler(server._process.pid) as sampler:
        started = time.perf_counter()
        file = client.files.create(file=path, purpose="file-extract")
        while (status := client.files.retrieve(file.id).status) == "uploaded":
            time.sleep(0.5)
        result.processed_s.append(time.perf_counter() - started)
    result.peak_rss_mb = max(result.peak_rss_mb, sampler.peak)
    if status != "processed":
        raise RuntimeError(f"{path.name}: the haystack ended {status}")
    return str(file.id)


def ask(client, label: str, needle: Needle, result: Result, document: str, *, baseline: bool) -> None:  # type: ignore[no-untyped-def]
    """One question: over the uploaded haystack (``fileid://…``), or — the truncation baseline —
    over the first window of it passed whole as a text document."""
    started = time.perf_counter()
    completion = client.chat.completions.create(
        model="qwen-long",
        temperature=0,
        max_tokens=MAX_TOKENS,
        messages=[
            {"role": "system", "content": opening(needle)},
            {"role": "system", "content": document},
            {"role": "user", "content": needle.question},
        ],
        extra_body={"x_context_strategy": "full"} if baseline else None,  # the window as it is
    )
    seconds = time.perf_counter() - started
    answer = completion.choices[0].message.content or ""
    if baseline:
        result.baseline_seconds.append(seconds)
        result.baseline_hits[needle.depth] = needle.found_in(answer)
        return
    result.seconds.append(seconds)
    result.hits[needle.depth] = needle.found_in(answer)
    result.plans.append((completion.model_extra or {}).get("x_context", {}).get("plan", "?"))
    verdict = "ok " if result.hits[needle.depth] else "MISS"
    print(f"  {label} depth {needle.depth:3}%: {seconds:5.1f} s {verdict} {answer[:80]!r}", flush=True)


def main() -> None:
    if not SHARED.is_dir():
        print(f"niah bench skipped: {SHARED} (shared eval data and corpus) is absent")
        return
    try:
        from longdoc.inference.weights import EMBEDDED_MODELS, default_cache_dir, ensure_gguf

        ensure_gguf(EMBEDDED_MODELS["0.5b"], default_cache_dir())
    except Exception as exc:  # the embedded extra is not installed
        print(f"niah bench skipped: {exc}")
        return
    from longdoc.context.tokens import TokenCounter

    wanted = [
        s.strip().lower() for s in os.environ.get("BENCH_NIAH_LENGTHS", "100k,1m,10m").split(",") if s.strip()
    ]
    unknown = [w for w in wanted if w not in LENGTHS]
    if unknown:
        raise SystemExit(f"BENCH_NIAH_LENGTHS: unknown {unknown}; known: {', '.join(LENGTHS)}")
    counter = TokenCounter()
    texts = source_texts()
    rng = random.Random(int(os.environ.get("BENCH_NIAH_SEED", "20250125")))
    mode = os.environ.get("BENCH_NIAH_MODE", "single")
    if mode not in ("single", "distractors"):
        raise SystemExit("BENCH_NIAH_MODE: single (one needle per haystack) or distractors (all ten in one)")
    results = []
    for label in wanted:
        print(f"== {label}", flush=True)
        try:
            results.append(run_length(label, LENGTHS[label], texts, counter, rng, mode))
        except Exception as exc:  # report what was measured; say what failed
            print(f"{label}: failed: {exc!r}", flush=True)
            continue
        report(results[-1:], mode)  # as each length finishes, in case a later one fails
    if len(results) > 1:
        report(results, mode)


def report(results: list[Result], mode: str) -> None:
    kind = (
        "one needle per haystack"
        if mode == "single"
        else "ten needles in one haystack: nine look-alikes per question"
    )
    print(f"\n### Needle in a haystack (embedded Qwen2.5-Coder-0.5B, through the chat API; {kind})\n")
    print(
        "| haystack | tokens | "
        + " | ".join(f"{d}%" for d in DEPTHS)
        + " | accuracy | s/question p50 (max) | truncation baseline |"
    )
    print("| --- | ---: | " + " | ".join(":-:" for _ in DEPTHS) + " | ---: | ---: | ---: |")
    for r in results:
        cells = " | ".join("✓" if r.hits.get(d) else "✗" for d in DEPTHS)
        accuracy = sum(r.hits.values()) / len(r.hits)
        baseline = sum(r.baseline_hits.values()) / len(r.baseline_hits)
        print(
            f"| {r.label} | {r.tokens:,} | {cells} | {accuracy:.0%} | {statistics.median(r.seconds):.1f} "
            f"({max(r.seconds):.1f}) | {baseline:.0%} |"
        )
    print(f"\nTruncation baseline (the first {first_window_tokens():,} tokens only) by depth:\n")
    print("| haystack | " + " | ".join(f"{d}%" for d in DEPTHS) + " | s/question p50 |")
    print("| --- | " + " | ".join(":-:" for _ in DEPTHS) + " | ---: |")
    for r in results:
        cells = " | ".join("✓" if r.baseline_hits.get(d) else "✗" for d in DEPTHS)
        print(f"| {r.label} | {cells} | {statistics.median(r.baseline_seconds):.1f} |")
    print(
        "\n| haystack | upload → processed s p50 (max) | peak RSS of server + parse child MB "
        "| retrieval p50 / max ms | plans |"
    )
    print("| --- | ---: | ---: | ---: | --- |")
    for r in results:
        plans = ", ".join(f"{p} ×{r.plans.count(p)}" for p in sorted(set(r.plans)))
        print(
            f"| {r.label} | {statistics.median(r.processed_s):.1f} ({max(r.processed_s):.1f}) | {r.peak_rss_mb:,.0f} | "
            f"{statistics.median(r.retrieval_ms):.1f} / {max(r.retrieval_ms):.1f} | {plans} |"
        )


if __name__ == "__main__":
    main()
