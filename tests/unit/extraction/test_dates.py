from datetime import date

import pytest

from longdoc.extraction.dates import find_dates, only_date, parse_date, parse_month


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("February 10, 2017", date(2017, 2, 10)),
        ("Feb. 10 2017", date(2017, 2, 10)),
        ("April 6th , 2005", date(2005, 4, 6)),  # as scanned
        ("10th day of February, 2017", date(2017, 2, 10)),
        ("10 February 2017", date(2017, 2, 10)),
        ("2017-02-10", date(2017, 2, 10)),
        ("02/10/2017", date(2017, 2, 10)),
        ("04/18/01", date(2001, 4, 18)),
        ("25/12/2020", date(2020, 12, 25)),  # the first number cannot be a month: day first
        ("2017年2月10日", date(2017, 2, 10)),
    ],
)
def test_a_date_is_read_however_it_is_written(written: str, day: date) -> None:
    assert parse_date(written) == day


@pytest.mark.parametrize(
    "value", ["2 years", "February 30, 2017", "as of February 10, 2017", "the date it takes effect"]
)
def test_what_is_not_only_a_date_is_none(value: str) -> None:
    assert parse_date(value) is None


def test_dates_are_found_with_their_offsets() -> None:
    text = "Effective as of January 5, 2010 and ending 12/31/2012."
    found = sorted(find_dates(text), key=lambda f: f[1])
    assert [(d, text[s:e]) for d, s, e in found] == [
        (date(2010, 1, 5), "January 5, 2010"),
        (date(2012, 12, 31), "12/31/2012"),
    ]


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("3. April 2024", date(2024, 4, 3)),
        ("1er mars 2024", date(2024, 3, 1)),
        ("3 de abril de 2024", date(2024, 4, 3)),
        ("3 maart 2024", date(2024, 3, 3)),
        ("12 settembre 2023", date(2023, 9, 12)),
        ("2024/03/01", date(2024, 3, 1)),
        ("2024년 3월 1일", date(2024, 3, 1)),
        ("二〇二五年一月二十一日", date(2025, 1, 21)),
        ("二〇二四年十二月十日", date(2024, 12, 10)),
        ("二〇二四年三月三十一号", date(2024, 3, 31)),
        ("03.04.2024", date(2024, 4, 3)),  # read day first where the document does
    ],
)
def test_european_and_east_asian_dates(written: str, day: date) -> None:
    assert parse_date(written, day_first=True) == day


def test_a_two_digit_year_after_a_month_name_but_not_an_hour() -> None:
    assert [d for d, _, _ in find_dates("28 Mar 18 18:32:36", day_first=True)] == [date(2018, 3, 28)]
    assert [d for d, _, _ in find_dates("28-MAR-2018")] == [date(2018, 3, 28)]
    assert list(find_dates("opens 28 Mar 18:30")) == []


@pytest.mark.parametrize(
    ("written", "month"),
    [
        ("Sep 2024", (2024, 9)),
        ("September, 2024", (2024, 9)),
        ("09/2024", (2024, 9)),
        ("2024-09", (2024, 9)),
        ("2024年9月", (2024, 9)),
        ("mars 2021", (2021, 3)),
        ("2024-09-15", (2024, 9)),
        ("Present", None),
        ("13/2024", None),
    ],
)
def test_a_month_of_a_year(written: str, month: tuple[int, int] | None) -> None:
    assert parse_month(written) == month


def test_the_one_date_among_other_words() -> None:
    assert only_date("10/03/2018 5:41:06 PAX NO: 4", day_first=True) == date(2018, 3, 10)
    assert only_date("from 1 May 2020 to 30 April 2021") is None  # two dates: no telling which
    assert only_date("Present") is None


def test_a_date_a_scan_glued_to_its_time() -> None:
    text = "DATE: 14/03/20185:57:07PM"
    assert [(day, text[s:e]) for day, s, e in find_dates(text, day_first=True)] == [
        (date(2018, 3, 14), "14/03/2018")
    ]
    assert list(find_dates("REF 14/03/20185", day_first=True)) == []  # no time: a longer number


def test_a_chinese_date_in_numerals_that_is_no_day() -> None:
    assert parse_date("二〇二四年二月三十日") is None
    assert list(find_dates("二〇二四年度报告")) == []
