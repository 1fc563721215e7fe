import pytest

from longdoc.extraction.conventions import Conventions
from longdoc.extraction.normalise import conform, parse_number, plain_digits


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("¥8,999", 8999),
        ("12,999元", 12999),
        ("￥１２，９９９", 12999),
        ("$1,299.50", 1299.5),
        ("RMB 3,000", 3000),
        ("1.5万", 15000),
        ("US$ 49", 49),
        ("free", None),
    ],
)
def test_prices(written: str, number: float | None) -> None:
    assert parse_number(written) == number


def test_plain_digits_and_conform() -> None:
    assert plain_digits("¥8,999") == "8999"
    schema = {
        "type": "object",
        "properties": {
            "price": {"type": ["number", "null"]},
            "count": {"type": "integer"},
            "model": {"type": "string"},
            "label": {"enum": ["Positive", "Negative"]},
        },
    }
    value = {"price": "12,999元", "count": "3 pcs", "model": " X1 ", "label": "positive"}
    assert conform(value, schema) == {"price": 12999, "count": 3, "model": "X1", "label": "Positive"}
    assert conform(
        {"price": "¥8,999"}, {"properties": {"price": {"type": "string"}}}, frozenset({"price"})
    ) == {"price": "8999"}


def test_a_description_asking_for_yyyy_mm_gets_the_month() -> None:
    start = {"type": "string", "description": "YYYY-MM"}
    end = {"type": "string", "description": 'YYYY-MM or "present"'}
    assert conform("Sep 2024", start) == "2024-09"
    assert conform("Present", end) == "Present"
    assert conform("Sep 2024", {"type": "string", "description": "YYYY-MM-DD"}) == "Sep 2024"  # no day
    assert conform("Sep 2024", {"type": "string"}) == "Sep 2024"


def test_a_date_field_takes_the_one_date_its_value_writes() -> None:
    field = {"type": "string", "description": "receipt date, YYYY-MM-DD"}
    assert (
        conform("10/03/2018 5:41:06 PAX NO: 4", field, conventions=Conventions(day_first=True))
        == "2018-03-10"
    )
