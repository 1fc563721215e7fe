"""Profiles by name, and the contracts profile keeping its rules for the requests that name it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from longdoc.core.errors import InvalidRequest
from longdoc.extraction.evidence import spelt_as_written
from longdoc.extraction.merge import Item, ItemKeys, key_text, merge_items
from longdoc.extraction.profiles import NO_PROFILE, profile_named, profile_names
from longdoc.extraction.profiles.contracts import ContractsProfile
from support.extraction import NDA_SCHEMA, nda

Extract = Callable[..., tuple[Any, int]]  # the ``extract`` fixture (conftest)

SCHEMA = {
    **NDA_SCHEMA,
    "properties": {
        **NDA_SCHEMA["properties"],
        "jurisdiction": {
            "enum": ["California", "Delaware", "New York", None],
            "description": "the US state whose law governs",
        },
    },
}
CONTRACT = nda(11)


def small_model(part: str) -> dict[str, Any]:
    """Answers a part of the contract the way the 0.5B model was seen to."""
    party: list[str] = []
    if "between" in part:
        party = ["Kite Pharma", "Company", "Gilead Sciences"]
    if "By: Jane Roe" in part:
        party = ["KITE PHARMA, INC.", "Jane Roe", "GILEAD SCIENCES"]
    date = (
        "2017-02-10" if "February 10, 2017" in part else "March 1, 2017" if "Date: March 1" in part else None
    )
    term = "one (1) year" if "one (1) year" in part else None  # a restriction's period, not the term
    return {"party": party, "jurisdiction": "Delaware", "effective_date": date, "term": term}


def test_profiles_are_found_by_name() -> None:
    assert profile_names() == ["contracts"]
    assert isinstance(profile_named("contracts"), ContractsProfile)
    assert profile_named(None) is NO_PROFILE


def test_an_unknown_profile_is_refused_with_the_known_ones() -> None:
    with pytest.raises(InvalidRequest, match=r"unknown extraction profile 'legal'.*contracts") as raised:
        profile_named("legal")
    assert raised.value.param == "x_extraction_profile"


def test_the_pipeline_refuses_an_unknown_profile_before_reading(extract: Extract) -> None:
    with pytest.raises(InvalidRequest, match="known profiles: contracts"):
        extract(
            ["text"], {"type": "object", "properties": {"a": {"type": "string"}}}, lambda part: {}, "legal"
        )


def test_a_contract_under_the_contracts_profile(extract: Extract) -> None:
    answer, parts = extract([CONTRACT], SCHEMA, small_model, profile="contracts", part_tokens=300)
    assert parts >= 2  # read in parts
    sources = answer.pop("_source")
    assert answer == {
        "party": ["Kite Pharma, Inc.", "Gilead Sciences, Inc."],  # whole names; no “Company”, no signer
        "jurisdiction": "California",  # the governing-law clause, not the state of incorporation
        "effective_date": "February 10, 2017",  # the date labelled effective, not the day it was signed
        "term": "five (5) years",  # labelled "shall expire", not a restriction's "thereafter"
    }
    for source in sources:
        assert CONTRACT[source["start"] : source["end"]] == source["text"]


def test_the_same_contract_with_no_profile_keeps_what_the_model_read(extract: Extract) -> None:
    answer, _parts = extract([CONTRACT], SCHEMA, small_model, part_tokens=300)
    answer.pop("_source")
    # every name the parts give, each once; the model's enum value and period stand
    assert answer["party"] == ["Kite Pharma", "Company", "Gilead Sciences", "KITE PHARMA, INC.", "Jane Roe"]
    assert answer["jurisdiction"] == "Delaware"
    assert answer["effective_date"] == "February 10, 2017"  # labelled by the field's own words: core
    assert answer["term"] == "one (1) year"


def test_the_contracts_profile_keeps_its_rules_for_names() -> None:
    text = (
        "between Tyco Healthcare Group LP d/b/a Covidien and Nike, Inc. (the “Company”). IN WITNESS WHEREOF"
    )
    profile = ContractsProfile()
    refined = profile.refine(spelt_as_written({"party": ["IN", "Covidien", "Company"]}, text), text, text)
    assert refined == {"party": ["Tyco Healthcare Group LP", "Nike, Inc."]}
    assert key_text("NIKE, Inc.", profile) == key_text("Nike", profile) != key_text("NIKE, Inc.")
    merged = merge_items([Item("Nike", 1), Item("NIKE, Inc.", 2)], ItemKeys(()), profile)
    assert [i.value for i in merged] == ["NIKE, Inc."]  # the fuller spelling of the one name
