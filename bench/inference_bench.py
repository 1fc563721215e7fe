"""Embedded model speed: llama.cpp called directly, ``LlamaCppBackend`` in this process (before the
move to a child), the same backend in its supervised child process (what the service runs), and
llama.cpp's own OpenAI-compatible server behind ``OpenAIUpstreamBackend`` (the alternative design).

Same model, same prompt (≈ 1k tokens of the GPL-3 text from shared/corpus, or generated prose
without it), 64 tokens out, greedy. Each run starts with its own number, so llama.cpp's prefix
cache never skips the prompt; the paths take turns in a rotating order so machine load hits all
alike. Prints a Markdown table of time to first token, generation speed and the overhead against
the in-process backend (goal for the child process: ≤ 3%).

Usage: python bench/inference_bench.py [--runs 5] [--prompt-tokens 1000] [--out-tokens 64]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

# before llama.cpp loads: OpenMP threads that spin-wait crawl on a shared machine
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from longdoc.config import InferenceSettings
from longdoc.inference.base import ChatMessage, GenerationParams, InferenceBackend, StreamEnd, TokenDelta
from longdoc.inference.embedded import LlamaCppBackend, available_threads
from longdoc.inference.registry import BackendRegistry
from longdoc.inference.supervised import SupervisedBackend
from longdoc.inference.upstream import OpenAIUpstreamBackend
from longdoc.inference.weights import EMBEDDED_MODELS, default_cache_dir, ensure_gguf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.llama import llama_server  # noqa: E402

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


def cpu_seconds(pid: int | None) -> float:
    """CPU time of this process, plus that of process ``pid`` (the model's child or server)."""
    total = time.process_time()
    if pid is not None:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def timed(pieces: Iterator[str], pid: int | None = None) -> tuple[float, float, float]:
    """(seconds to first piece, seconds in all, CPU seconds of this process and ``pid``) of a stream."""
    started, cpu_started = time.perf_counter(), cpu_seconds(pid)
    first = None
    for _ in pieces:
        if first is None:
            first = time.perf_counter() - started
    return first or 0.0, time.perf_counter() - started, cpu_seconds(pid) - cpu_started


def direct_pieces(llm: object, messages: list[ChatMessage], out_tokens: int) -> Iterator[str]:
    chunks = llm.create_chat_completion(  # type: ignore[attr-defined]
        messages=[m.model_dump() for m in messages], stream=True, max_tokens=out_tokens, temperature=0.0
    )
    for chunk in chunks:
        text = chunk["choices"][0]["delta"].get("content")
        if text:
            yield text


def backend_pieces(backend: InferenceBackend, messages: list[ChatMessage], out_tokens: int) -> Iterator[str]:
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
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--prompt-tokens", type=int, default=1000)
    parser.add_argument("--out-tokens", type=int, default=64)
    args = parser.parse_args()

    import llama_cpp

    inference = InferenceSettings()
    settings = inference.backends["embedded"]
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
    in_process = LlamaCppBackend(
        path,
        n_ctx=settings.n_ctx,
        n_threads=threads,
        n_batch=settings.n_batch,
        flash_attn=settings.flash_attn,
    )
    in_process.load()
    child = BackendRegistry().create(settings, inference)
    assert isinstance(child, SupervisedBackend)
    child.load()
    excerpt = excerpt_of(args.prompt_tokens, lambda text: in_process.count_tokens(build_messages(0, text)))
    prompt_tokens = in_process.count_tokens(build_messages(0, excerpt))

    with contextlib.ExitStack() as stack:
        server_url = stack.enter_context(
            llama_server(
                path, Path(stack.enter_context(tempfile.TemporaryDirectory())), settings.n_ctx, threads
            )
        )
        server = OpenAIUpstreamBackend(server_url, "tiny", supports_json_schema=True)
        stack.callback(server.close)
        before, after = "LlamaCppBackend in process (before)", "LlamaCppBackend in a child process (now)"
        server_name = "llama_cpp.server + OpenAIUpstreamBackend"
        runs = {
            "llama.cpp direct": lambda n: timed(
                direct_pieces(direct, build_messages(n, excerpt), args.out_tokens)
            ),
            before: lambda n: timed(backend_pieces(in_process, build_messages(n, excerpt), args.out_tokens)),
            after: lambda n: timed(
                backend_pieces(child, build_messages(n, excerpt), args.out_tokens), child.pid
            ),
            server_name: lambda n: timed(backend_pieces(server, build_messages(n, excerpt), args.out_tokens)),
        }
        results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in runs}
        names = list(runs)
        run = 0
        for i in range(args.runs + 1):  # the first round warms caches and is dropped
            for name in names[i % len(names) :] + names[: i % len(names)]:
                run += 1
                measured = runs[name](run)
                if i > 0:
                    results[name].append(measured)

    def summary(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
        ttft = statistics.median(r[0] for r in rows)
        # generation speed: the tokens after the first, over the time after the first
        rate = statistics.median((args.out_tokens - 1) / max(r[1] - r[0], 1e-9) for r in rows)
        return ttft, rate, statistics.median(r[1] for r in rows)

    base_ttft, base_rate, _ = summary(results[before])
    print(
        f"\nEmbedded {path.name}, {threads} threads, n_batch {settings.n_batch}, n_ctx {settings.n_ctx}, "
        f"flash_attn {settings.flash_attn}; prompt {prompt_tokens} tokens, {args.out_tokens} out, "
        f"median of {args.runs} runs, load average {os.getloadavg()[0]:.1f}\n"
    )
    print(
        "| path | time to first token (s) | generation (tokens/s) | total (s) "
        "| vs in process: first token | vs in process: tokens/s |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for name, rows in results.items():
        ttft, rate, wall = summary(rows)
        print(
            f"| {name} | {ttft:.3f} | {rate:.1f} | {wall:.2f} | {(ttft / base_ttft - 1) * 100:+.1f}% "
            f"| {(rate / base_rate - 1) * 100:+.1f}% |"
        )
    direct.close()
    in_process.close()
    child.close()


if __name__ == "__main__":
    main()
