import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from longdoc.extraction.command import render

ITEMS = [{"model": "X1", "price": 8999, "_source": [{"page": 1}]}, {"model": "Y2", "price": None}]


def test_formats() -> None:
    assert json.loads(render(ITEMS, "json")) == ITEMS
    assert [json.loads(line) for line in render(ITEMS, "jsonl").splitlines()] == ITEMS
    rows = list(csv.reader(io.StringIO(render(ITEMS, "csv"))))
    assert rows == [["model", "price", "_source"], ["X1", "8999", '[{"page": 1}]'], ["Y2", "", ""]]
    assert render({"label": "ok"}, "jsonl") == '{"label": "ok"}\n'


SCHEMA = {
    "type": "object",
    "properties": {"company": {"type": ["string", "null"]}, "city": {"type": ["string", "null"]}},
}
EXAMPLE = {
    "text": "Acme Corp is based in Springfield.",
    "output": {"company": "Acme Corp", "city": "Springfield"},
}


def extract_with_examples(tmp_path: Path, examples: str) -> subprocess.CompletedProcess[str]:
    """``longdoc extract --examples`` on a short file with ``examples`` as the file's text, answered
    by a fake model that copies the example's city (a value the file does not hold)."""
    reply = json.dumps({"company": "Globex Inc.", "city": "Springfield"})
    (tmp_path / "longdoc.toml").write_text(
        f'[inference.backends.embedded]\nkind = "fake"\nreplies = [{json.dumps(reply)}]\n'
    )
    (tmp_path / "report.txt").write_text(
        "Globex Inc. makes hammocks. Its founder writes poems about the sea."
    )
    (tmp_path / "schema.json").write_text(json.dumps(SCHEMA))
    (tmp_path / "examples.json").write_text(examples)
    command = [sys.executable, "-m", "longdoc.cli", "extract", "report.txt", "--schema", "schema.json"]
    command += ["--examples", "examples.json", "--model", "qwen-long", "--config", "longdoc.toml"]
    command += ["--data-dir", str(tmp_path / "data")]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)


def said(result: subprocess.CompletedProcess[str], words: str) -> bool:
    """Whether stderr says ``words`` (the console wraps long lines)."""
    return "".join(words.split()) in "".join(result.stderr.split())


def test_the_examples_flag_reads_a_file(tmp_path: Path) -> None:
    result = extract_with_examples(tmp_path, json.dumps([EXAMPLE]))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "company": "Globex Inc.",
        "city": None,
    }  # the example's city: dropped

    too_many = extract_with_examples(tmp_path, json.dumps([EXAMPLE] * 9))
    assert too_many.returncode == 1 and "Traceback" not in too_many.stderr
    assert said(too_many, "examples.json: x_extraction_examples holds 9 examples; at most 8 are accepted")

    wrong = extract_with_examples(tmp_path, json.dumps([{"text": "Acme Corp.", "output": {"company": 7}}]))
    assert wrong.returncode == 1
    assert said(wrong, "x_extraction_examples[0].output does not match the JSON schema")

    broken = extract_with_examples(tmp_path, "[{")
    assert broken.returncode == 1 and said(broken, "examples.json: not JSON")
