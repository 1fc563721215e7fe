import pytest

from longdoc.extraction.labels import labelled_date, labelled_span
from longdoc.extraction.profiles.clauses import labelled_choice, labelled_clause, labelled_duration


@pytest.mark.parametrize(
    ("text", "labelled"),
    [
        ("DATE: October 17, 2019. This agreement is effective as of January 13, 2020.", "January 13, 2020"),
        ("made as of the 5th day of November 2004 (the “EFFECTIVE DATE”), by", "5th day of November 2004"),
        ("Signed May 2, 2020. Effective Date: 2020-05-04", "2020-05-04"),
        ("commencing on the Effective Date and ending on December 31, 2015", None),  # not its label
        ("Agreement and Plan of Merger dated as of May 1, 2013", None),
    ],
)
def test_the_date_a_text_labels_with_the_fields_name(text: str, labelled: str | None) -> None:
    span = labelled_date("effective_date", text)
    assert (text[span[0] : span[1]] if span else None) == labelled


def test_the_choice_a_text_labels_with_the_fields_words() -> None:
    text = (
        "Acme, Inc., a Delaware corporation, and Beta LLC, of New York. This Agreement shall be governed "
        "by the laws of the State of California."
    )
    found = labelled_choice(
        "jurisdiction", "the US state whose law governs", ["Delaware", "California"], text
    )
    assert found is not None and found[0] == "California" and text[found[1] : found[2]] == "California"
    assert (
        labelled_choice("jurisdiction", "the US state whose law governs", ["Delaware", "New York"], text)
        is None
    )


def test_only_fields_named_for_a_date_and_something_else_look_for_a_label() -> None:
    text = "The Term starts on May 1, 2020; date: June 1, 2020."
    assert labelled_date("term", text) is None
    assert labelled_date("date", text) is None
    assert labelled_date("startDate", "It starts on May 1, 2020.") is None  # "starts" is not "start"
    assert labelled_date("startDate", "Start date: May 1, 2020") is not None


def test_a_labelled_value_replaces_the_models_unless_its_own_is_labelled() -> None:
    states = {"enum": ["Delaware", "California", None], "description": "the US state whose law governs"}
    text = "Acme, Inc., a Delaware corporation. This Agreement is governed by the laws of the State of California."
    assert labelled_clause("jurisdiction", states, "Delaware", [text]) == (
        0,
        text.index("California"),
        len(text) - 1,
    )
    assert labelled_clause("jurisdiction", states, "California", [text]) is None
    dated = "Signed March 1, 2017. This Agreement is effective as of February 10, 2017."
    assert labelled_span("effective_date", {"type": "string"}, ["", dated], [False, False]) == (
        1,
        dated.index("February"),
        len(dated) - 1,
    )


TERM = "how long the agreement remains in effect before it expires or terminates: a number of days, months or years"


@pytest.mark.parametrize(
    ("text", "labelled"),
    [
        (
            "Employee will not compete for a period of one (1) year thereafter. This Agreement shall "
            "terminate two (2) years after the date hereof.",
            "two (2) years",
        ),
        (
            "Each party's obligations under this Agreement expire upon the earlier of (i) 18 months from",
            "18 months",
        ),
        ("During the term of this Agreement and for a period of one (1) year thereafter, Employee", None),
        (
            "This Agreement shall become effective after the expiration of the seven (7) day Revocation Period",
            None,
        ),
        ("Upon termination of this Agreement, return all copies within thirty (30) days.", None),
        (
            "the obligations under this Agreement shall terminate five (5) years following receipt of the information",
            "five (5) years",
        ),
        ("The Receiving Party agrees that for a period of two years it shall not solicit.", None),  # one word
    ],
)
def test_the_length_of_time_a_text_labels_with_the_fields_words(text: str, labelled: str | None) -> None:
    span = labelled_duration("term", TERM, text)
    assert (text[span[0] : span[1]] if span else None) == labelled


def test_a_field_asking_how_long_takes_the_labelled_length_of_time() -> None:
    text = (
        "Non-solicitation: for 12 months after termination. This Agreement shall expire 3 years from today."
    )
    term = {"type": ["string", "null"], "description": TERM}
    assert labelled_clause("term", term, "12 months", [text]) == (
        0,
        text.index("3 years"),
        text.index(" from"),
    )
    assert labelled_clause("notes", {"type": "string"}, "12 months", [text]) is None  # not asked how long
