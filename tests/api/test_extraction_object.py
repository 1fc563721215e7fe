"""One object extracted from a contract longer than one part, through the real app, with a fake
model that answers every part like a small model does: it names the defined term (“Company”) and
a name without its legal form, echoes or invents what its part does not hold, takes the state of
incorporation for the governing law, the day it was signed for the effective date, and lists who
signed as parties. The merged answer keeps
what the text supports, from the parts about each field, each value grounded."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from longdoc.inference.base import ChatMessage, GenerationParams
from longdoc.inference.fake import FakeBackend
from support.extraction import NDA_SCHEMA, nda
from support.fakes import extraction_body

PART = re.compile(r"<<<\n(.*)\n>>>", re.DOTALL)
SCHEMA = NDA_SCHEMA
CONTRACT = nda(39)


class SmallModelFake(FakeBackend):
    """Answers each part the way the 0.5B model was seen to."""

    def _reply(self, messages: Sequence[ChatMessage], params: GenerationParams) -> str:
        found = PART.search(messages[-1].content)
        part = found.group(1) if found else ""
        party = []
        if "between" in part:
            party = ["Kite Pharma", "Company", "Gilead Sciences"]
        if "By: Jane Roe" in part:
            party = ["KITE PHARMA, INC.", "Jane Roe", "GILEAD SCIENCES"]
        jurisdiction = "the state whose law governs"
        if "Delaware corporation" in part:
            jurisdiction = "Delaware"
        if "State of California" in part:
            jurisdiction = "California"
        date = "2023-01-01"
        if "February 10, 2017" in part:
            date = "2017-02-10"
        if "Date: March 1, 2017" in part:
            date = "March 1, 2017"
        term = "five (5) years" if "five (5) years" in part else "2 years"
        return json.dumps(
            {"party": party, "jurisdiction": jurisdiction, "effective_date": date, "term": term}
        )


def extract(
    model: SmallModelFake, tmp_path: Path, database_url: str, schema: dict[str, Any], contract: str = CONTRACT
) -> dict[str, Any]:
    """The response body of an extraction from ``contract`` under ``schema``, with sources."""
    return extraction_body(
        model,
        tmp_path,
        database_url,
        contract,
        "Extract the parties, governing law, effective date and term.",
        {"type": "json_schema", "json_schema": {"name": "nda", "schema": schema}},
        prompt_budget_tokens=1_200,
        x_grounding=True,
        x_extraction_profile="contracts",  # the party, law and term rules are opt-in
    )


def test_one_object_takes_each_field_from_the_text_that_supports_it(
    tmp_path: Path, database_url: str
) -> None:
    body = extract(SmallModelFake(), tmp_path, database_url, SCHEMA)
    assert len(body["x_context"]["passages"]) >= 2  # read in parts
    answer = json.loads(body["choices"][0]["message"]["content"])
    sources = answer.pop("_source")
    assert answer == {
        "party": ["Kite Pharma, Inc.", "Gilead Sciences, Inc."],  # whole names; no “Company”, no signer
        "jurisdiction": "California",  # the governing-law clause, not the state of incorporation
        "effective_date": "February 10, 2017",  # the date labelled effective, not the day it was signed
        "term": "five (5) years",  # "2 years" is written nowhere
    }
    for source in sources:
        assert CONTRACT[source["start"] : source["end"]] == source["text"]
    by_field = {s["field"]: s["text"] for s in sources}
    assert by_field["effective_date"] == "February 10, 2017"
    assert by_field["jurisdiction"] == "California"


class StateOfIncorporationFake(SmallModelFake):
    """Under an enum of states, answers the state of incorporation in every part."""

    def _reply(self, messages: Sequence[ChatMessage], params: GenerationParams) -> str:
        return json.dumps({**json.loads(super()._reply(messages, params)), "jurisdiction": "Delaware"})


def test_an_enum_field_takes_the_value_the_text_labels_with_its_words(
    tmp_path: Path, database_url: str
) -> None:
    states = {
        "enum": ["California", "Delaware", "New York", None],
        "description": "the US state whose law governs",
    }
    schema = {**SCHEMA, "properties": {**SCHEMA["properties"], "jurisdiction": states}}
    body = extract(StateOfIncorporationFake(), tmp_path, database_url, schema)
    answer = json.loads(body["choices"][0]["message"]["content"])
    # "governed by the laws of the State of California", not "a Delaware corporation"
    assert answer["jurisdiction"] == "California"
    assert [s["text"] for s in answer["_source"] if s["field"] == "jurisdiction"] == ["California"]


class RestrictionPeriodFake(SmallModelFake):
    """Answers, for how long the agreement lasts, the period a restriction runs after it ends."""

    def _reply(self, messages: Sequence[ChatMessage], params: GenerationParams) -> str:
        answer = json.loads(super()._reply(messages, params))
        found = PART.search(messages[-1].content)
        in_part = found is not None and "one (1) year" in found.group(1)
        return json.dumps({**answer, "term": "one (1) year" if in_part else None})


def test_a_field_asking_how_long_takes_the_length_the_text_labels_with_its_words(
    tmp_path: Path, database_url: str
) -> None:
    term = {
        "type": ["string", "null"],
        "description": "how long the agreement remains in effect before it expires",
    }
    schema = {**SCHEMA, "properties": {**SCHEMA["properties"], "term": term}}
    body = extract(RestrictionPeriodFake(), tmp_path / "labelled", database_url, schema)
    answer = json.loads(body["choices"][0]["message"]["content"])
    # "This Agreement shall expire five (5) years after …", not "for one (1) year thereafter"
    assert answer["term"] == "five (5) years"
    assert [s["text"] for s in answer["_source"] if s["field"] == "term"] == ["five (5) years"]
    unlabelled = CONTRACT.replace("This Agreement shall expire five (5) years after its effective date. ", "")
    body = extract(RestrictionPeriodFake(), tmp_path / "unlabelled", database_url, schema, unlabelled)
    answer = json.loads(body["choices"][0]["message"]["content"])
    assert answer["term"] is None  # a period after the agreement ends is not how long it lasts
    assert [s for s in answer["_source"] if s["field"] == "term"] == []
