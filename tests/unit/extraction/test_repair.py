from longdoc.extraction.grounding import Grounding
from longdoc.extraction.repair import mend_codes, mend_dates, mend_numbers, shape
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


TOTALS = "Total HT: 4\u00a0984,27\u00a0€\nTVA 20 %: 996,85\u00a0€\nTotal TTC: 5\u202f981,12\u00a0€\nPos. 12 | € 643,22"


def test_a_number_copied_without_its_separators_takes_the_one_the_part_writes() -> None:
    surface = {"total": "598112.00", "net": "498427", "vat": "996,85", "qty": "12", "other": "64322"}
    fields = ["total", "net", "vat", "qty", "other"]
    mended = {name: written for name, written, _, _ in mend_numbers(surface, [], TOTALS, 0, fields, True)}
    # "996,85" is written as it is; "12" has too few digits to tell which number was meant
    assert mended == {"total": "5\u202f981,12", "net": "4\u00a0984,27", "other": "643,22"}
    start = TOTALS.index("5\u202f981")
    assert mend_numbers({"total": "598112"}, [], TOTALS, 7, ["total"], True) == [
        ("total", "5\u202f981,12", 7 + start, 7 + start + 8)
    ]


def test_a_found_number_or_one_written_twice_differently_is_left() -> None:
    assert mend_numbers({"total": "598112"}, [grounded("total", 0, 3)], TOTALS, 0, ["total"], True) == []
    twice = "Sum 1.234,5 and later 12,345"
    assert mend_numbers({"total": "12345"}, [], twice, 0, ["total"], True) == []


def test_a_number_found_by_its_digits_takes_the_separators_written_there() -> None:
    at = TOTALS.index("643,22")
    found = Grounding("total", "file-fe-x", None, 9 + at, 9 + at + 6, "643,22", "exact")
    assert mend_numbers({"total": "64322"}, [found], TOTALS, 9, ["total"], True) == [
        ("total", "643,22", 9 + at, 9 + at + 6)
    ]
    assert mend_numbers({"total": "643,22"}, [found], TOTALS, 9, ["total"], True) == []  # as written
