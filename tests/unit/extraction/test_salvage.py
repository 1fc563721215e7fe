"""An answer cut short (``max_tokens``, a small model repeating itself) keeps what it completed."""

from __future__ import annotations

from longdoc.extraction.validation import salvage_array, salvage_object

NULLABLE = {"type": ["string", "null"]}
JOB = {
    "type": "object",
    "properties": {"title": NULLABLE, "company": NULLABLE},
    "required": ["title", "company"],
}
CV = {
    "type": "object",
    "properties": {
        "name": NULLABLE,
        "jobs": {"type": ["array", "null"], "items": JOB},
        "education": {"type": ["array", "null"], "items": NULLABLE},
    },
    "required": ["name", "jobs", "education"],
}


def test_an_array_keeps_its_complete_items() -> None:
    cut = '[{"title": "Engineer", "company": "Acme"}, {"title": "Lead", "company": "Glo'
    assert salvage_array(cut, {"type": "array", "items": JOB}) == (
        [{"title": "Engineer", "company": "Acme"}],
        None,
    )


def test_an_object_keeps_its_complete_list_elements_and_nulls_the_rest() -> None:
    repeating = (
        '{"name": "Olivia", "jobs": [{"title": "Engineer", "company": "Acme"}, '
        + ('{"title": "Engineer", "company": "Acme"}, ' * 40)
        + '{"title": "Engin'
    )
    value, problem = salvage_object(repeating, CV)
    assert problem is None
    assert value["name"] == "Olivia" and len(value["jobs"]) == 41 and value["education"] is None


def test_an_object_cut_before_any_nested_value_is_lost() -> None:
    assert salvage_object('{"name": "Oliv', CV)[1] is not None
    assert salvage_object('[{"name": "Olivia"}]', CV)[1] == "not a JSON object"


def test_an_object_keeps_its_complete_fields_before_a_string_that_never_ends() -> None:
    schema = {
        "type": "object",
        "properties": {"party": NULLABLE, "amount": NULLABLE, "skills": {"type": "array", "items": NULLABLE},
                       "summary": NULLABLE},
        "required": ["party", "amount", "skills", "summary"],
    }  # fmt: skip
    looping = (
        '{"party": "成都天府", "amount": "¥1,670,000.00", "skills": ["Go", "SQL"], "summary": "'
        + "运维，" * 300
    )
    assert salvage_object(looping, schema) == (
        {"party": "成都天府", "amount": "¥1,670,000.00", "skills": ["Go", "SQL"], "summary": None},
        None,
    )
    listing = '{"party": "A", "amount": null, "skills": ["Go", "SQL", "Rus'
    assert salvage_object(listing, schema)[0] == {
        "party": "A",
        "amount": None,
        "skills": ["Go", "SQL"],
        "summary": None,
    }


def test_an_array_of_strings_keeps_its_complete_elements() -> None:
    assert salvage_array('["Go", "SQL", "Ru', {"type": "array", "items": NULLABLE}) == (["Go", "SQL"], None)
