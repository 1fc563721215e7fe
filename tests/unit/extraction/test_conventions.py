import pytest

from longdoc.extraction.conventions import Conventions, Told, conventions_of, told


@pytest.mark.parametrize(
    ("text", "conventions"),
    [
        ("The invoice is due on 03/04/2024 for the goods delivered by the carrier.", Conventions()),
        ("Die Rechnung ist am 03/04/2024 fällig und wird von der Bank bezahlt.", Conventions(True, True)),
        (
            "La facture est payable le 03/04/2024 pour les produits livrés avec le transport.",
            Conventions(True, True),
        ),
        ("De factuur is op 03/04/2024 betaald voor een levering van de goederen.", Conventions(True, True)),
        ("The invoice of 25/12/2023 totals 1.299,00 for the goods.", Conventions(True, True)),  # shown
        ("Die Rechnung vom 12/25/2023 ist fällig und wird mit 1,299.00 bezahlt.", Conventions()),  # shown
        ("发票日期：2024年3月1日，金额 1,299.00 元。", Conventions(currency="CNY")),
        # one habit shown, the other follows: few common words, a decimal comma, ambiguous dates
        ("Facture F-1\nDate: 12/04/2024\nMonitor Lumo 27 | 1 | 347,67 €", Conventions(True, True, "EUR")),
        ("Invoice F-1\nDate: 12/04/2024\nMonitor Lumo 27 | 1 | 1,347.67", Conventions()),
        ("Datum: 25/12/2023\nMonitor Lumo 27 | 1 | 347", Conventions(True, True)),
    ],
)
def test_a_documents_conventions(text: str, conventions: Conventions) -> None:
    assert conventions_of(text) == conventions


@pytest.mark.parametrize(
    ("words", "day_first"),
    [
        ("This is a scanned Malaysian receipt (dates are printed day first). Extract the date.", True),
        ("读取这张扫描的收据（马来西亚，日期为日/月/年），提取日期（YYYY-MM-DD）", True),
        ("the order date as written (DD/MM/YYYY)", True),
        ("dates in the source are MM/DD/YY", False),
        ("a US form: month first", False),
        ("receipt date, YYYY-MM-DD", None),  # how to answer, not how the documents write
        ("Extract the company name, the date and the total.", None),
        ("day first or MM/DD, whichever", None),  # both: the documents decide
    ],
)
def test_what_the_caller_says_about_dates(words: str, day_first: bool | None) -> None:
    assert told(words).day_first is day_first


@pytest.mark.parametrize(
    ("words", "decimal_comma"),
    [
        ("This German (Germany) document uses day-first dates and decimal commas.", True),
        ("amounts are written with a comma as the decimal separator", True),
        ("prices use a decimal point", False),
        ("Convert amounts to plain numbers.", None),
    ],
)
def test_what_the_caller_says_about_decimals(words: str, decimal_comma: bool | None) -> None:
    assert told(words).decimal_comma is decimal_comma


def test_the_callers_word_decides_each_habit() -> None:
    receipt = "WARAKUYA PERMAS CITY SDN BHD\n10/03/2018 19:02\nTOTAL 1,057.80"
    assert conventions_of(receipt) == Conventions()
    assert conventions_of(receipt, Told(day_first=True)) == Conventions(day_first=True, decimal_comma=False)
    # what the caller says wins over what the text shows
    assert conventions_of("Rechnung vom 25/12/2023", Told(day_first=False)).day_first is False
    assert conventions_of("Summe 1,299.00", Told(decimal_comma=True)) == Conventions(True, True)
