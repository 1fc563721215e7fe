"""The command line, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

DOCUMENTS = Path(__file__).parents[1] / "data" / "documents"


def longdoc(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "longdoc.cli", *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def test_parse_prints_text_and_json() -> None:
    text = longdoc("parse", str(DOCUMENTS / "distro-info-debian.csv"))
    assert text.returncode == 0, text.stderr
    assert "codename" in text.stdout and "|---|" in text.stdout
    as_json = longdoc("parse", "--json", str(DOCUMENTS / "officer-example.docx"))
    document = json.loads(as_json.stdout)
    assert document["format"] == "docx" and document["headings"]


def test_parse_reports_failures_without_a_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nnot really")
    result = longdoc("parse", str(broken))
    assert result.returncode == 1
    assert "broken.pdf" in result.stderr and "Traceback" not in result.stderr
    missing = longdoc("parse", str(tmp_path / "missing.pdf"))
    assert missing.returncode == 1 and "No such file" in missing.stderr


def test_keys_create_prints_the_key_last(tmp_path: Path) -> None:
    result = longdoc("keys", "create", "--account", "team-a", "--data-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("sk-") and len(key) > 40
