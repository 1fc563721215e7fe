import pytest

from longdoc.extraction.durations import Duration, find_durations, parse_duration


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
        ("12", None),  # a number alone is no length of time
        ("5th day of May", None),
        ("two years from the date hereof", None),  # more than a length of time
    ],
)
def test_a_value_that_is_a_length_of_time(written: str, duration: Duration | None) -> None:
    assert parse_duration(written) == duration


def test_lengths_of_time_in_a_text_with_their_offsets() -> None:
    text = "for a 90-day period, then for one (1) year thereafter; within 30 Business Days."
    found = [(d, text[start:end]) for d, start, end in find_durations(text)]
    assert found == [
        (Duration(90, "day"), "90-day"),
        (Duration(1, "year"), "one (1) year"),
        (Duration(30, "day"), "30 Business Days"),
    ]
