"""Golden files for parsers: ``golden.check(name, document)`` compares a parsed Document with
``tests/golden/expected/<name>.json``. Regenerate with ``pytest --regen-golden`` (or
``LONGDOC_REGEN_GOLDEN=1``) and review the diff before committing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from longdoc.core.documents import Document

EXPECTED = Path(__file__).parent / "expected"


class Golden:
    def __init__(self, regenerate: bool) -> None:
        self.regenerate = regenerate

    def check(self, name: str, document: Document) -> None:
        path = EXPECTED / f"{name}.json"
        actual = json.loads(document.model_dump_json())
        if self.regenerate or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(actual, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            if not self.regenerate:
                pytest.fail(f"golden file {path.name} was missing and has been written: review and commit it")
            return
        expected = json.loads(path.read_text(encoding="utf-8"))
        assert actual["text"] == expected["text"], f"{name}: text differs from {path.name}"
        assert actual == expected, f"{name}: structure differs from {path.name}"


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    regen = bool(request.config.getoption("--regen-golden")) or os.environ.get("LONGDOC_REGEN_GOLDEN") == "1"
    return Golden(regen)
