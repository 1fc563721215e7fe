"""A number field that names its unit (in its key or its description) gets the value in that unit,
whatever unit and language the document wrote it in; other numbers keep the number they write."""

import pytest

from longdoc.extraction.normalise import conform
from longdoc.extraction.units import field_unit, field_unit_in

NUMBER = {"type": "number"}
INTEGER = {"type": "integer"}


@pytest.mark.parametrize(
    ("written", "name", "schema", "expected"),
    [
        ("750 g", "weight_kg", NUMBER, 0.75),
        ("Gewicht: 750 g", "weight_kg", NUMBER, 0.75),
        ("1,6 kg", "weight_kg", NUMBER, 1.6),
        ("2 Jahre", "warranty_months", INTEGER, 24),
        ("24 mesi", "warranty_months", INTEGER, 24),
        ("2 ans", "warrantyMonths", INTEGER, 24),
        ("3 años", "warranty_months", INTEGER, 36),
        ("2年", "warranty_months", INTEGER, 24),
        ("18个月", "warranty_months", INTEGER, 18),
        ("1.5 m", "length_cm", NUMBER, 150),
        ("500 ml", "volume", {"type": "number", "description": "volume in litres"}, 0.5),
        ("2 h", "duration", {"type": "number", "description": "duration (minutes)"}, 120),
        ("10 000 mAh", "capacity_mAh", INTEGER, 10000),
    ],
)
def test_a_quantity_in_the_unit_its_field_names(
    written: str, name: str, schema: dict, expected: float
) -> None:
    assert conform(written, schema, name=name) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("written", "name", "schema", "expected"),
    [
        ("750", "weight_kg", NUMBER, 750),  # no unit written: the number as it is
        ("5 kg", "weight", NUMBER, 5),  # the field names no unit
        ("20 %", "discount_pct", NUMBER, 20),  # no dimension
        ("€5", "price_min", NUMBER, 5),  # a price is not a time
        ("12 pages", "length_days", NUMBER, 12),
        ("3 items", "count", {"type": "integer", "description": "count in a list"}, 3),
    ],
)
def test_a_number_without_a_unit_to_convert_stays_as_written(
    written: str, name: str, schema: dict, expected: float
) -> None:
    assert conform(written, schema, name=name) == expected


def test_a_unit_is_named_after_what_a_key_measures() -> None:
    assert field_unit("warranty_months", "") is not None
    assert field_unit("months", "") is None  # may count anything
    assert field_unit("year", "graduation year") is None
    assert field_unit("party_a", "") is None and field_unit("party_b", "") is None  # a letter is no unit
    assert field_unit("capacity_mah", "") is None  # no CLDR name, and "mah" is no Pint spelling…
    assert field_unit_in("capacity_mah", "", "Kapazität: 20000 mAh") is not None  # …but the text's "mAh"
    assert field_unit_in("capacity_mah", "", "20000 mah are") is None  # as written, no unit either
