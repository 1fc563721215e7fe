from longdoc.extraction.repair import mend_codes, mend_dates, shape
from support.extraction import grounded

TABLE = "| Model | Product name | Price |\n| HX-410 | Pulse Watch | 12,999元 |\n| HX-520 | Echo Earbuds | 1,099元 |"


def test_a_miscopied_code_is_taken_from_its_items_line() -> None:
    name_at = TABLE.index("Echo Earbuds")
    sources = [grounded("name", 100 + name_at, 100 + name_at + 12)]
    surface = {"model": "HX-100", "name": "Echo Earbuds", "price": "1,099元"}
    assert mend_codes(surface, sources, TABLE, 100) == [
        ("model", "HX-520", 100 + TABLE.index("HX-520"), 100 + TABLE.index("HX-520") + 6)
    ]


def test_only_code_like_values_and_one_line() -> None:
    assert shape("Echo Earbuds") is None and shape("12") is None
    spread = [grounded("name", 10, 15), grounded("price", 60, 65)]
    assert mend_codes({"model": "HX-100", "name": "x", "price": "y"}, spread, TABLE, 0) == []


def test_a_required_date_the_part_does_not_write_takes_the_parts_only_date() -> None:
    text = "Nando's Chickenland Malaysia\nChk 8660 Guest0\n28 Mar 18 18:32:36\nSub Total 129.30"
    said = {"date": "2023-03-18", "total": "129.30"}
    assert mend_dates(said, [], text, 100, ["date"], day_first=True) == [("date", "28 Mar 18", 145, 154)]
    two = text + "\nPrinted 29 Mar 18"
    assert mend_dates(said, [], two, 100, ["date"], day_first=True) == []  # which one? no telling
    assert mend_dates(said, [], text, 100, [], day_first=True) == []  # not required: dropped instead
