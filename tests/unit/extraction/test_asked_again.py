"""A required field no part gave is asked once more of the part that matches it best, under a
schema that takes no null; only a value written in that part (or a choice among the schema's) is
kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from longdoc.extraction.run import DocumentExtraction
from longdoc.inference.fake import FakeBackend

Extract = Callable[..., tuple[Any, int]]  # the ``extract`` fixture (conftest)

RECEIPT = "SUNRISE MART SDN BHD\nQty 4 8.20\nTotal Includes GST 0% 8.20\nCash 20.20\nChange 12.00\n"
SCHEMA = {
    "type": "object",
    "properties": {
        "shop": {"type": "string", "description": "who issued the receipt"},
        "total": {"type": "number", "description": "total amount paid"},
    },
    "required": ["shop", "total"],
}


def answering(*answers: dict[str, Any]) -> Callable[[str], dict[str, Any]]:
    """The model's answers, one per request in turn."""
    left = list(answers)
    return lambda _part: left.pop(0)


def test_a_required_field_left_null_is_asked_again_and_takes_the_written_value(extract: Extract) -> None:
    answer = answering({"shop": "SUNRISE MART SDN BHD", "total": None}, {"total": "8.20"})
    value, _ = extract([RECEIPT], SCHEMA, answer)
    assert value["shop"] == "SUNRISE MART SDN BHD"
    assert value["total"] == 8.2
    assert [s["field"] for s in value["_source"]].count("total") == 1


def test_a_value_asked_again_that_the_part_does_not_write_is_not_kept(extract: Extract) -> None:
    answer = answering({"shop": "SUNRISE MART SDN BHD", "total": None}, {"total": "99.99"})
    value, _ = extract([RECEIPT], SCHEMA, answer)
    assert value["total"] == 0  # the schema's smallest value, noted as not found


def test_only_the_missing_required_fields_are_asked_again(planned: Callable[..., DocumentExtraction]) -> None:
    nullable = {**SCHEMA, "properties": {**SCHEMA["properties"], "note": {"type": ["string", "null"]}}}
    nullable["required"] = ["shop", "total", "note"]
    extraction = planned([RECEIPT], nullable, answering({"shop": None, "total": None, "note": None}, {}))
    list(extraction.run(None))
    model = extraction._backend
    assert isinstance(model, FakeBackend)
    assert len(model.calls) == 2
    again = model.calls[1][1].json_schema
    assert again is not None and again["required"] == ["shop", "total"]
    assert again["properties"]["shop"] == {"type": "string"}  # null no longer allowed
    assert "null" not in str(again["properties"]["total"])


def test_a_part_with_every_required_field_is_asked_once(planned: Callable[..., DocumentExtraction]) -> None:
    extraction = planned([RECEIPT], SCHEMA, answering({"shop": "SUNRISE MART SDN BHD", "total": "8.20"}))
    list(extraction.run(None))
    model = extraction._backend
    assert isinstance(model, FakeBackend)
    assert len(model.calls) == 1


def test_a_field_an_instruction_names_is_asked_again(planned: Callable[..., DocumentExtraction]) -> None:
    instruction = "Return JSON with keys shop and total (a number)."
    answer = answering({"shop": "SUNRISE MART SDN BHD", "total": None}, {"total": "8.20"})
    extraction = planned([RECEIPT], {}, answer, instruction=instruction)
    events = list(extraction.run(None))
    assert json.loads(events[-1].text)["total"] == 8.2


def test_a_choice_among_the_schemas_options_is_kept_unwritten(extract: Extract) -> None:
    kinds = {"type": "string", "enum": ["invoice", "receipt"]}  # filled in: the first
    schema = {**SCHEMA, "properties": {**SCHEMA["properties"], "kind": kinds}, "required": ["shop", "kind"]}
    answer = answering({"shop": "SUNRISE MART SDN BHD", "total": "8.20", "kind": None}, {"kind": "receipt"})
    value, _ = extract([RECEIPT], schema, answer)
    assert value["kind"] == "receipt"  # the text never writes "receipt"


def test_a_part_asked_again_is_shown_without_its_files_name(
    planned: Callable[..., DocumentExtraction],
) -> None:
    extraction = planned([RECEIPT], SCHEMA, answering({"shop": "SUNRISE MART SDN BHD", "total": None}, {}))
    list(extraction.run(None))
    model = extraction._backend
    assert isinstance(model, FakeBackend)
    first, again = (messages[-1].content for messages, _ in model.calls)
    assert '"doc-1.txt"' in first
    assert "doc-1.txt" not in again and "Part 1 of 1: document 1 of 1" in again
