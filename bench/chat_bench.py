"""Time to first token and generation speed: llama.cpp called directly vs the same prompt through
longdoc's chat completions API (a real `longdoc serve`, the openai SDK, streaming). Same GGUF,
same threads, same context size, greedy decoding; each round's prompt differs in its first words
so neither side reuses the previous round's KV cache."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Both sides run llama.cpp with passive OpenMP waiting, as `longdoc serve` does (see cli.main).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
MAX_TOKENS = 64
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
N_CTX = 8192
FILLER = (ROOT / "README.md").read_text()[:4000]  # ≈ 1k tokens of real prose


def messages(round_no: int) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "You are a helpful assistant."},
        {
            "role": "user",
            "content": f"Round {round_no}. Read this text:\n\n{FILLER}\n\nSummarise it in two sentences.",
        },
    ]


def measure(start_stream) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    """``start_stream()`` sends the request and returns an iterator of text pieces."""
    started = time.perf_counter()
    first = None
    pieces = 0
    for text in start_stream():
        if text:
            pieces += 1
            if first is None:
                first = time.perf_counter()
    end = time.perf_counter()
    assert first is not None
    return first - started, (pieces - 1) / max(end - first, 1e-9), pieces


def direct(gguf: Path) -> list[tuple[float, float, int]]:
    import llama_cpp

    llm = llama_cpp.Llama(
        model_path=str(gguf),
        n_ctx=N_CTX,
        n_threads=THREADS,
        n_threads_batch=THREADS,
        n_batch=512,
        flash_attn=True,
        verbose=False,
    )
    results = []
    for r in range(ROUNDS + 1):

        def start(r: int = r):  # type: ignore[no-untyped-def]
            chunks = llm.create_chat_completion(
                messages(r), max_tokens=MAX_TOKENS, temperature=0, stream=True
            )
            return (c["choices"][0]["delta"].get("content") for c in chunks)

        result = measure(start)
        if r:  # round 0 warms up
            results.append(result)
    llm.close()
    return results


def through_longdoc() -> list[tuple[float, float, int]]:
    import openai

    from support.server import LongdocServer

    env = {
        "LONGDOC_INFERENCE__BACKENDS": f'{{"embedded":{{"kind":"llama_cpp","n_threads":{THREADS},"n_ctx":{N_CTX}}}}}'
    }
    server = LongdocServer(Path(tempfile.mkdtemp()) / "data", env=env).start()
    try:
        client = openai.OpenAI(api_key=server.api_key, base_url=server.origin + "/v1", max_retries=0)
        results = []
        for r in range(ROUNDS + 1):

            def start(r: int = r):  # type: ignore[no-untyped-def]
                chunks = client.chat.completions.create(
                    model="qwen-long",
                    messages=messages(r),  # type: ignore[arg-type]
                    max_tokens=MAX_TOKENS,
                    temperature=0,
                    stream=True,
                )
                return (c.choices[0].delta.content for c in chunks if c.choices)

            result = measure(start)
            if r:
                results.append(result)
        return results
    finally:
        server.stop()


def main() -> None:
    try:
        from longdoc.inference.weights import EMBEDDED_MODELS, default_cache_dir, ensure_gguf

        gguf = ensure_gguf(EMBEDDED_MODELS["0.5b"], default_cache_dir())
    except Exception as exc:  # the embedded extra is not installed
        print(f"chat bench skipped: {exc}")
        return
    ours = through_longdoc()
    theirs = direct(gguf)

    def row(name: str, pick: int, unit: str, fmt: str) -> str:
        a = statistics.median(x[pick] for x in ours)
        b = statistics.median(x[pick] for x in theirs)
        return f"| {name} ({unit}) | {a:{fmt}} | {b:{fmt}} | {a / b:.3f} |"

    print(
        f"\n### Chat through longdoc vs llama.cpp direct (Qwen2.5-Coder-0.5B Q4_K_M, {THREADS} threads, "
        f"≈1k-token prompt, {MAX_TOKENS} tokens out, median of {ROUNDS})\n"
    )
    print("| measure | longdoc HTTP | llama.cpp direct | longdoc / direct |")
    print("| --- | ---: | ---: | ---: |")
    print(row("time to first token", 0, "s", ".3f"))
    print(row("generation", 1, "tokens/s", ".1f"))


if __name__ == "__main__":
    main()
