"""Embedded model speed: llama.cpp called directly vs through ``LlamaCppBackend``.

Same model, same prompt (≈ 1k tokens of the GPL-3 text from shared/corpus, or generated prose
without it), 64 tokens out, greedy. Each run starts with its own number, so llama.cpp's prefix
cache never skips the prompt; the two paths alternate so machine load hits both alike. Prints a
Markdown table of time to first token, generation speed and the overhead ratio (goal ≤ 5%).

Usage: python bench/inference_bench.py [--runs 3] [--prompt-tokens 1000] [--out-tokens 64]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

# before llama.cpp loads: OpenMP threads that spin-wait crawl on a shared machine
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from longdoc.config import LlamaCppBackendSettings
from longdoc.inference.base import ChatMessage, GenerationParams, StreamEnd, TokenDelta
from longdoc.inference.embedded import LlamaCppBackend, available_threads
from longdoc.inference.weights import EMBEDDED_MODELS, default_cache_dir, ensure_gguf

ROOT = Path(__file__).resolve().parents[1]
TEXT = ROOT.parent / "shared" / "corpus" / "text" / "GPL-3.txt"


def source_text() -> str:
    if TEXT.exists():
        return TEXT.read_text(encoding="utf-8")
    sentence = "The lighthouse keeper wrote down the weather, the ships and the birds every evening. "
    return sentence * 400


def build_messages(run: int, excerpt: str) -> list[ChatMessage]:
    return [
        ChatMessage(role="system", content=f"Run {run}. You are a careful assistant who reads documents."),
        ChatMessage(role="user", content=f"{excerpt}\n\nExplain in detail what the text above says."),
    ]


def excerpt_of(tokens: int, count: Callable[[str], int]) -> str:
    """The longest prefix of the source text, by paragraphs, within ``tokens``."""
    text, kept = source_text(), ""
    for paragraph in text.split("\n\n"):
        candidate = f"{kept}\n\n{paragraph}" if kept else paragraph
        if count(candidate) > tokens:
            break
        kept = candidate
    return kept


def timed(pieces: Iterator[str]) -> tuple[float, float, float]:
    """(seconds to first piece, seconds in all, CPU seconds of this process) of a stream."""
    started, cpu_started = time.perf_counter(), time.process_time()
    first = None
    for _ in pieces:
        if first is None:
            first = time.perf_counter() - started
    return first or 0.0, time.perf_counter() - started, time.process_time() - cpu_started


def direct_pieces(llm: object, messages: list[ChatMessage], out_tokens: int) -> Iterator[str]:
    chunks = llm.create_chat_completion(  # type: ignore[attr-defined]
        messages=[m.model_dump() for m in messages], stream=True, max_tokens=out_tokens, temperature=0.0
    )
    for chunk in chunks:
        text = chunk["choices"][0]["delta"].get("content")
        if text:
            yield text


def backend_pieces(backend: LlamaCppBackend, messages: list[ChatMessage], out_tokens: int) -> Iterator[str]:
    params = GenerationParams(max_tokens=out_tokens, temperature=0.0)
    for event in backend.stream(messages, params):
        if isinstance(event, TokenDelta):
            yield event.text
        elif isinstance(event, StreamEnd) and event.usage.completion_tokens != out_tokens:
            print(
                f"note: backend run ended after {event.usage.completion_tokens} tokens ({event.finish_reason})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--prompt-tokens", type=int, default=1000)
    parser.add_argument("--out-tokens", type=int, default=64)
    args = parser.parse_args()

    import llama_cpp

    settings = LlamaCppBackendSettings()
    path = ensure_gguf(EMBEDDED_MODELS[settings.model], default_cache_dir())
    threads = settings.n_threads or available_threads()
    direct = llama_cpp.Llama(
        model_path=str(path),
        n_ctx=settings.n_ctx,
        n_threads=threads,
        n_threads_batch=threads,
        n_batch=settings.n_batch,
        flash_attn=settings.flash_attn,
        verbose=False,
    )
    backend = LlamaCppBackend(
        path,
        n_ctx=settings.n_ctx,
        n_threads=threads,
        n_batch=settings.n_batch,
        flash_attn=settings.flash_attn,
    )
    backend.load()
    excerpt = excerpt_of(args.prompt_tokens, lambda text: backend.count_tokens(build_messages(0, text)))
    prompt_tokens = backend.count_tokens(build_messages(0, excerpt))

    direct_name, backend_name = "llama.cpp direct", "LlamaCppBackend"
    results: dict[str, list[tuple[float, float, float]]] = {direct_name: [], backend_name: []}
    runs = {
        direct_name: lambda n: timed(direct_pieces(direct, build_messages(n, excerpt), args.out_tokens)),
        backend_name: lambda n: timed(backend_pieces(backend, build_messages(n, excerpt), args.out_tokens)),
    }
    run = 0
    for i in range(args.runs + 1):  # the first round warms caches and is dropped
        order = [direct_name, backend_name] if i % 2 == 0 else [backend_name, direct_name]
        for name in order:
            run += 1
            measured = runs[name](run)
            if i > 0:
                results[name].append(measured)

    def summary(rows: list[tuple[float, float, float]]) -> tuple[float, float]:
        ttft = statistics.median(r[0] for r in rows)
        # generation speed: the tokens after the first, over the time after the first
        rate = statistics.median((args.out_tokens - 1) / max(r[1] - r[0], 1e-9) for r in rows)
        return ttft, rate

    base_wall = statistics.median(r[1] for r in results[direct_name])
    base_cpu = statistics.median(r[2] for r in results[direct_name])
    print(
        f"\nEmbedded {path.name}, {threads} threads, n_batch {settings.n_batch}, "
        f"flash_attn {settings.flash_attn}; prompt {prompt_tokens} tokens, {args.out_tokens} out, "
        f"median of {args.runs} runs, load average {os.getloadavg()[0]:.1f}\n"
    )
    print(
        "| path | time to first token (s) | generation (tokens/s) | total (s) | overhead, wall | overhead, CPU |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for name, rows in results.items():
        ttft, rate = summary(rows)
        wall = statistics.median(r[1] for r in rows)
        cpu = statistics.median(r[2] for r in rows)
        print(
            f"| {name} | {ttft:.2f} | {rate:.1f} | {wall:.2f} | {(wall / base_wall - 1) * 100:+.1f}% "
            f"| {(cpu / base_cpu - 1) * 100:+.1f}% |"
        )
    direct.close()
    backend.close()


if __name__ == "__main__":
    main()
