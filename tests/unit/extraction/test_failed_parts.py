"""A part the model cannot answer: asked again while the model is busy or restarting, then the
whole extraction fails with the model's error; a part answered with invalid JSON is listed in the
report as a structured failed part, never dropped silently."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from longdoc.chat.engine import Extracted
from longdoc.core.errors import ModelUnavailable, RateLimited
from longdoc.extraction.run import DocumentExtraction
from longdoc.extraction.validation import complete_object, validation_problem

SCHEMA = {
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}}
    },
}
TEXTS = ["Item SKU A-1 ships today. " * 40, "Item SKU B-2 ships tomorrow. " * 40]
Planned = Callable[..., DocumentExtraction]


def skus(part: str) -> list[dict[str, str]]:
    """The list a part is asked for (an object holding one list is read as that list)."""
    return [{"sku": s} for s in ("A-1", "B-2") if s in part]


def finished(run: DocumentExtraction) -> Any:
    final = list(run.run(None))[-1]
    assert isinstance(final, Extracted)
    return json.loads(final.text)


def test_a_busy_model_is_asked_again_and_nothing_is_lost(planned: Planned) -> None:
    calls: list[str] = []

    def answer(part: str) -> list[dict[str, str]]:
        calls.append(part)
        if len(calls) in (1, 2):
            raise (ModelUnavailable if len(calls) == 1 else RateLimited)("busy", retry_after=0.0)
        return skus(part)

    run = planned(TEXTS, SCHEMA, answer, part_tokens=400)
    assert [i["sku"] for i in finished(run)["items"]] == ["A-1", "B-2"]
    assert run.report.failed_parts == []


def test_a_model_that_stays_down_fails_the_extraction_naming_the_part(planned: Planned) -> None:
    def answer(part: str) -> list[dict[str, str]]:
        if "B-2" in part:
            raise ModelUnavailable("the embedded model process died (signal 9, SIGKILL)", retry_after=0.0)
        return skus(part)

    run = planned(TEXTS, SCHEMA, answer, part_tokens=400)
    with pytest.raises(ModelUnavailable) as failed:
        list(run.run(None))
    assert "the extraction stopped at part" in failed.value.message
    assert "SIGKILL" in failed.value.message


def test_a_part_with_no_valid_answer_is_listed_with_its_place_and_reason(planned: Planned) -> None:
    def answer(part: str) -> Any:
        return "not json at all" if "B-2" in part else skus(part)

    run = planned(TEXTS, SCHEMA, answer, part_tokens=400)
    assert [i["sku"] for i in finished(run)["items"]] == ["A-1"]
    failed = run.report.failed_parts
    assert failed and {f.passage.document for f in failed} == {"doc-2.txt"}
    assert all(f.reason for f in failed)
    assert {f.part for f in failed} <= {p.number for p in run._job.parts}
    assert "gave no valid JSON" in (run.report.fallback or "")


def test_objects_inside_lists_are_completed_and_invalid_elements_left_out() -> None:
    schema = {
        "type": "object",
        "properties": {
            "number": {"type": "string"},
            "line_items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"sku": {"type": "string"}, "quantity": {"type": "number"}},
                    "required": ["sku", "quantity"],
                },
            },
        },
        "required": ["number", "line_items"],
    }
    value = {
        "number": "INV-7",
        "line_items": [{"sku": "A-1", "quantity": None}, "not an object", {"sku": "B-2", "quantity": 3}],
    }
    completed, filled, dropped = complete_object(value, schema)
    assert completed == {
        "number": "INV-7",
        "line_items": [{"sku": "A-1", "quantity": 0}, {"sku": "B-2", "quantity": 3}],
    }
    assert filled == ["line_items[0].quantity"] and dropped == 1
    assert validation_problem(completed, schema) is None


def test_an_optional_field_not_given_is_left_out_and_an_enum_read_in_its_own_spelling() -> None:
    schema = {
        "type": "object",
        "properties": {
            "document_type": {"type": "string", "enum": ["invoice", "credit_note"]},
            "currency": {"type": "string"},
            "total": {"type": "number"},
        },
        "required": ["document_type", "total"],
    }
    completed, filled, _ = complete_object(
        {"document_type": "Credit Note", "currency": None, "total": 12.5}, schema
    )
    assert completed == {"document_type": "credit_note", "total": 12.5} and filled == []
    assert validation_problem(completed, schema) is None
