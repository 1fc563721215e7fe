from longdoc.extraction.repair import mend_codes, shape
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
