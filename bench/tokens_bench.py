"""TokenCounter speed: tokens/s on real English, Chinese and mixed text, against dashscope's own
QwenTokenizer (the same vocabulary, loaded by dashscope) as the peer.

Texts: Paul Graham's essays (shared/eval/niah) and the text layers of corpus PDFs read with
pypdfium2 (shared/corpus); skipped cleanly when shared/ is absent. Prints a Markdown table.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def pdf_text(path: Path) -> str:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(path)
    try:
        return "\n\n".join(
            pdf[i].get_textpage().get_text_range().replace("\r\n", "\n") for i in range(len(pdf))
        )
    finally:
        pdf.close()


def texts() -> dict[str, str]:
    essays = SHARED / "eval/niah/PaulGrahamEssays"
    corpus = SHARED / "corpus"
    if not essays.is_dir() or not corpus.is_dir():
        print(f"skipped: {SHARED} (shared eval data and corpus) is absent")
        sys.exit(0)
    english = "\n\n".join(p.read_text() for p in sorted(essays.glob("*.txt")) if "LICENSE" not in p.name)
    chinese = pdf_text(corpus / "pdf/debian-edu-bookworm-manual.zh-cn.pdf")
    manual = pdf_text(corpus / "big/R-fullrefman.pdf")
    return {
        "English essays": english,
        "Chinese manual (PDF)": chinese,
        "R reference manual (PDF, code)": manual,
    }


def rate(count: Callable[[str], int], text: str, rounds: int = 5) -> tuple[float, int]:
    """Best-of-rounds tokens per second of ``count`` over ``text``, and the token count."""
    best = float("inf")
    tokens = 0
    for _ in range(rounds):
        started = time.perf_counter()
        tokens = count(text)
        best = min(best, time.perf_counter() - started)
    return tokens / best, tokens


def main() -> None:
    from longdoc.context.tokens import TokenCounter, find_qwen_vocabulary

    corpus = texts()
    started = time.perf_counter()
    counter = TokenCounter()
    build_ours = time.perf_counter() - started
    from dashscope.tokenizers.qwen_tokenizer import QwenTokenizer

    started = time.perf_counter()
    peer = QwenTokenizer(str(find_qwen_vocabulary()))
    build_peer = time.perf_counter() - started

    print(
        f"Construction: TokenCounter {build_ours * 1000:.0f} ms, dashscope QwenTokenizer {build_peer * 1000:.0f} ms\n"
    )
    print(
        "| text | chars | tokens | TokenCounter whole (M tok/s) | per paragraph (M tok/s) | dashscope whole (M tok/s) | per paragraph (M tok/s) | ids equal |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    ours_rates = []
    for name, text in corpus.items():
        ours, tokens = rate(counter.count, text)
        ours_p, _ = rate(lambda t: sum(counter.count(p) for p in t.split("\n\n") if p), text)
        theirs, _ = rate(lambda t: len(peer.encode(t)), text)
        theirs_p, _ = rate(lambda t: sum(len(peer.encode(p)) for p in t.split("\n\n") if p), text)
        same = counter.encode(text) == peer.encode(text)
        ours_rates.append(ours)
        print(
            f"| {name} | {len(text):,} | {tokens:,} | {ours / 1e6:.2f} | {ours_p / 1e6:.2f} | "
            f"{theirs / 1e6:.2f} | {theirs_p / 1e6:.2f} | {'yes' if same else 'NO'} |"
        )
    print(
        f"\nTokenCounter median over texts: {statistics.median(ours_rates) / 1e6:.2f} M tokens/s (one core)"
    )


if __name__ == "__main__":
    main()
