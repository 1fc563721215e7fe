import pytest

from longdoc.extraction.durations import Duration, find_durations, parse_duration, with_units


@pytest.mark.parametrize(
    ("written", "duration"),
    [
        ("two (2) years", Duration(2, "year")),
        ("18 months", Duration(18, "month")),
        ("ninety (90) calendar days", Duration(90, "day")),
        ("twenty- four (24) months", Duration(24, "month")),  # as scanned
        ("thirty-six months", Duration(36, "month")),
        ("55.5 months", Duration(55.5, "month")),
        ("1 year", Duration(1, "year")),
        ("18个月", Duration(18, "month")),
        ("180天", Duration(180, "day")),
        ("3年", Duration(3, "year")),
        ("两年", Duration(2, "year")),
        ("十八个月", Duration(18, "month")),
        ("2024年", None),  # a year, when nothing follows it is a date's
        ("12", None),  # a number alone is no length of time
        ("5th day of May", None),
        ("two years from the date hereof", None),  # more than a length of time
    ],
)
def test_a_value_that_is_a_length_of_time(written: str, duration: Duration | None) -> None:
    assert parse_duration(written) == duration


@pytest.mark.parametrize(
    ("text", "written"),
    [
        (
            "for a 90-day period, then for one (1) year thereafter; within 30 Business Days.",
            [
                (Duration(90, "day"), "90-day"),
                (Duration(1, "year"), "one (1) year"),
                (Duration(30, "day"), "30 Business Days"),
            ],
        ),
        (  # not the parts of a date
            "期限为18个月，自2024年3月15日起至2025年9月14日止，质保3年；二〇二四年三月二十一日签订，两年有效。",
            [(Duration(18, "month"), "18个月"), (Duration(3, "year"), "3年"), (Duration(2, "year"), "两年")],
        ),
    ],
)
def test_lengths_of_time_in_a_text_with_their_offsets(text: str, written: list[tuple[Duration, str]]) -> None:
    assert [(d, text[start:end]) for d, start, end in find_durations(text)] == written


TERMS = {
    "type": "object",
    "properties": {
        "term": {"type": "string"},
        "months": {"type": "integer"},
        "kind": {"type": "string", "enum": ["18", "24"]},
        "lines": {
            "type": "array",
            "items": {"type": "object", "properties": {"warranty": {"type": "string"}}},
        },
    },
}


def test_a_text_field_answered_with_a_bare_number_takes_the_unit_the_text_writes() -> None:
    assert with_units({"term": "2"}, TERMS, "服务期限两年。") == {"term": "两年"}
    text = "本合同期限为18个月。Warranty: 24 months on every line."
    answer = {
        "term": "18",
        "months": "18",
        "kind": "18",
        "lines": [{"warranty": "24"}, {"warranty": "2 years"}],
    }
    assert with_units([answer], {"items": TERMS}, text) == [
        {
            "term": "18个月",
            "months": "18",
            "kind": "18",
            "lines": [{"warranty": "24 months"}, {"warranty": "2 years"}],
        }
    ]


def test_a_number_the_text_writes_with_two_units_stays_bare() -> None:
    text = "a notice of 30 days, renewed for 30 months"
    assert with_units({"term": "30"}, TERMS, text) == {"term": "30"}
    assert with_units({"term": "30"}, TERMS, "30 units shipped") == {"term": "30"}
