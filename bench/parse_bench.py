"""PDF parsing speed and fidelity on the shared corpus, longdoc next to markitdown.

    .venv/bin/python bench/parse_bench.py

Truth is ``pdftotext`` (poppler-utils). Word recall is the share of pdftotext's words (Latin words
and digits lowercased, each Chinese character) that the parser's text also holds, counted as
multisets. markitdown (the ``bench`` extra) is slow, so both parsers are also run on the same
sample of pages of each file (up to ``SAMPLE_PAGES``, evenly spaced) and compared there. Prints
Markdown tables. Needs the corpus (``../shared/corpus`` from the repo root, or ``LONGDOC_CORPUS``),
pdftotext and markitdown; without one of them it says so and exits 0.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

SAMPLE_PAGES = 12
BIG_GOAL_SECONDS = 15.0


def corpus_root() -> Path | None:
    env = os.environ.get("LONGDOC_CORPUS")
    root = Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
    return root if (root / "pdf").is_dir() else None


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"[a-z0-9]+|[\u4e00-\u9fff]", unicodedata.normalize("NFKC", text).lower()))


@dataclass
class Recall:
    matched: int = 0
    total: int = 0

    def add(self, truth: str, found: str) -> None:
        expected, got = words(truth), words(found)
        self.matched += sum(min(n, got[w]) for w, n in expected.items())
        self.total += sum(expected.values())

    def __str__(self) -> str:
        return f"{self.matched / self.total:.3f}" if self.total else "n/a"


def pdftotext(path: Path, first: int | None = None, last: int | None = None) -> str:
    command = ["pdftotext", "-enc", "UTF-8"]
    if first is not None and last is not None:
        command += ["-f", str(first), "-l", str(last)]
    return subprocess.run([*command, str(path), "-"], capture_output=True, text=True, check=True).stdout


def sample_indexes(count: int) -> list[int]:
    if count <= SAMPLE_PAGES:
        return list(range(count))
    step = count / SAMPLE_PAGES
    return sorted({int(i * step) for i in range(SAMPLE_PAGES)})


def cut(source: Path, indexes: list[int], target: Path) -> None:
    import pypdfium2 as pdfium

    pdf, out = pdfium.PdfDocument(source), pdfium.PdfDocument.new()
    out.import_pages(pdf, indexes)
    out.save(target)


def main() -> int:
    corpus = corpus_root()
    missing = []
    if corpus is None:
        missing.append("the corpus (../shared/corpus or LONGDOC_CORPUS)")
    if shutil.which("pdftotext") is None:
        missing.append("pdftotext (apt-get install poppler-utils)")
    if importlib.util.find_spec("markitdown") is None:
        missing.append("markitdown (pip install 'markitdown[pdf]', the bench extra)")
    if missing:
        print("parse_bench skipped: missing " + ", ".join(missing))
        return 0
    assert corpus is not None

    from markitdown import MarkItDown

    from longdoc.core.documents import ParsingStrategy
    from longdoc.parsing import parse_isolated, parse_path

    pdfs = sorted((corpus / "pdf").glob("*.pdf")) + sorted((corpus / "big").glob("*.pdf"))
    markitdown = MarkItDown()
    rows = []
    full_pages = full_seconds = 0.0
    full_recall = Recall()
    sample_pages = ld_sample_seconds = md_sample_seconds = 0.0
    ld_sample_recall, md_sample_recall = Recall(), Recall()
    scratch = Path(tempfile.mkdtemp(prefix="parse-bench-"))
    try:
        for pdf in pdfs:
            started = time.perf_counter()
            doc = parse_path(pdf, strategy=ParsingStrategy.TEXT_ONLY)
            seconds = time.perf_counter() - started
            truth_pages = pdftotext(pdf).split("\f")
            recall = Recall()
            for page in doc.pages:
                recall.add(
                    truth_pages[page.number - 1] if page.number <= len(truth_pages) else "",
                    doc.page_text(page),
                )
            pages = len(doc.pages)
            if recall.total:  # a scan has no text layer: nothing to compare here (see OCR below)
                full_pages += pages
                full_seconds += seconds
                full_recall.matched += recall.matched
                full_recall.total += recall.total

            indexes = sample_indexes(pages)
            sample = scratch / f"{pdf.stem}.sample.pdf"
            cut(pdf, indexes, sample)
            sample_truth = pdftotext(sample)
            started = time.perf_counter()
            ld_text = parse_path(sample, strategy=ParsingStrategy.TEXT_ONLY).text
            ld_seconds = time.perf_counter() - started
            started = time.perf_counter()
            md_text = markitdown.convert(str(sample)).text_content
            md_seconds = time.perf_counter() - started
            ld_sample, md_sample = Recall(), Recall()
            ld_sample.add(sample_truth, ld_text)
            md_sample.add(sample_truth, md_text)
            if ld_sample.total:
                sample_pages += len(indexes)
                ld_sample_seconds += ld_seconds
                md_sample_seconds += md_seconds
                for total, part in ((ld_sample_recall, ld_sample), (md_sample_recall, md_sample)):
                    total.matched += part.matched
                    total.total += part.total
            rows.append(
                f"| {pdf.name} | {pages} | {pages / seconds:,.0f} | {recall} | {len(indexes)} | {ld_sample} | "
                f"{md_sample} | {len(indexes) / md_seconds:.1f} | {md_seconds / max(ld_seconds, 1e-9):,.0f}× |"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"## PDF text layer: longdoc (pypdfium2) vs markitdown, truth = pdftotext {pdftotext_version()}\n")
    print(
        f"markitdown runs on a sample: up to {SAMPLE_PAGES} evenly spaced pages of each file, cut into a new PDF;"
    )
    print(
        "longdoc runs on every page and on the same sample. Speed ratio = markitdown time / longdoc time on the sample.\n"
    )
    print("| file | pages | longdoc pages/s | longdoc recall | sample pages | longdoc recall (sample) | "
          "markitdown recall (sample) | markitdown pages/s | speed ratio |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(row)
    print(
        f"| **all text PDFs** | {full_pages:,.0f} | {full_pages / full_seconds:,.0f} | {full_recall} | "
        f"{sample_pages:,.0f} | {ld_sample_recall} | {md_sample_recall} | {sample_pages / md_sample_seconds:.1f} | "
        f"{md_sample_seconds / ld_sample_seconds:,.0f}× |\n"
    )

    print("## Large file, OCR and isolation\n")
    print("| measure | value |")
    print("|---|---:|")
    big = corpus / "big" / "R-fullrefman.pdf"
    if big.exists():
        started = time.perf_counter()
        doc = parse_path(big, strategy=ParsingStrategy.TEXT_ONLY)
        seconds = time.perf_counter() - started
        verdict = "meets" if seconds < BIG_GOAL_SECONDS else "misses"
        print(f"| R-fullrefman.pdf, {len(doc.pages):,} pages, in process | {seconds:.2f} s ({verdict} the "
              f"{BIG_GOAL_SECONDS:.0f} s goal) |")  # fmt: skip
        started = time.perf_counter()
        parse_isolated(big)
        print(f"| R-fullrefman.pdf through parse_isolated (auto) | {time.perf_counter() - started:.2f} s |")
    tiny = corpus / "text" / "distro-info-debian.csv"
    if tiny.exists():
        parse_isolated(tiny)
        started = time.perf_counter()
        for _ in range(5):
            parse_isolated(tiny)
        isolated = (time.perf_counter() - started) / 5
        started = time.perf_counter()
        for _ in range(5):
            parse_path(tiny)
        print(
            f"| parse_isolated overhead (1 KB CSV) | {isolated - (time.perf_counter() - started) / 5:.3f} s |"
        )
    scanned = corpus / "pdf" / "R-intro.p12-14.scanned.pdf"
    original = corpus / "pdf" / "R-intro.pdf"
    if scanned.exists() and original.exists():
        parse_path(corpus / "image" / "lo-tip-formdocuments.png")  # load the OCR models first
        started = time.perf_counter()
        doc = parse_path(scanned, strategy=ParsingStrategy.AUTO)
        seconds = time.perf_counter() - started
        recall = Recall()
        recall.add(pdftotext(original, 12, 14), doc.text)
        print(
            f"| OCR seconds per page (scanned R-intro p12-14, 200 dpi render) | {seconds / len(doc.pages):.1f} s |"
        )
        print(f"| OCR word recall vs pdftotext of the original pages | {recall} |")
    return 0


def pdftotext_version() -> str:
    result = subprocess.run(["pdftotext", "-v"], capture_output=True, text=True)
    found = re.search(r"version ([\d.]+)", result.stderr + result.stdout)
    return found.group(1) if found else ""


if __name__ == "__main__":
    sys.exit(main())
