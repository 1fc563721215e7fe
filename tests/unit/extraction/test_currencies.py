"""Currencies written as symbols or names in any language are answered as ISO 4217 codes, and a
document's currency is read from the marks on its amounts."""

import pytest

from longdoc.extraction.conventions import Conventions, conventions_of
from longdoc.extraction.currencies import currency_code, document_currency, wants_currency_code
from longdoc.extraction.normalise import conform


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("€", "EUR"),
        ("Euros", "EUR"),
        ("Canadian dollars", "CAD"),
        ("人民币", "CNY"),
        ("美元", "USD"),
        ("HK$", "HKD"),
        ("zł", "PLN"),
        ("usd", "USD"),
        ("(GBP)", "GBP"),
        ("¥", None),  # yuan or yen
        ("kr", None),  # Swedish, Danish or Norwegian
        ("le-tout-lyon.fr", None),
        ("Dollar Tree", None),
    ],
)
def test_the_code_a_currency_is_written_as(written: str, code: str | None) -> None:
    assert currency_code(written) == code


def test_a_shared_symbol_names_the_documents_currency() -> None:
    assert currency_code("¥", "JPY") == "JPY" and currency_code("¥", "CNY") == "CNY"
    assert currency_code("¥", "EUR") is None


def test_a_documents_currency_is_the_one_most_amounts_are_marked_with() -> None:
    assert document_currency("Net 1.299,00 €\nVAT 246,81 €\nTotal EUR 1.545,81\n$ 2 shipping") == "EUR"
    assert document_currency("Total: US$ 12.00, S$ 3.00, HK$ 4.00") is None  # no currency has most
    assert document_currency("¥6,588\n¥4,899") is None  # yuan or yen, half each
    assert document_currency("Version 2.1 of 2024, page 3 of 7") is None
    assert conventions_of("Total 12,00 €").currency == "EUR"


def test_a_currency_field_answers_a_code_and_a_documents_currency_for_none() -> None:
    assert wants_currency_code("currency", "") and wants_currency_code("币种", "")
    assert wants_currency_code("code", "ISO 4217 code of the prices")
    assert not wants_currency_code("currency_symbol", "") and not wants_currency_code("total", "")
    schema = {
        "type": "object",
        "properties": {"currency": {"type": "string"}, "currency_sign": {"type": "string"}, "shop": {}},
    }
    euros = Conventions(currency="EUR")
    written = {"currency": "€", "currency_sign": "€", "shop": "Euro Shop"}
    assert conform(written, schema) == {"currency": "EUR", "currency_sign": "€", "shop": "Euro Shop"}
    assert conform({"currency": None}, schema, conventions=euros) == {"currency": "EUR"}
    assert conform({"currency": "ISO code"}, schema, conventions=euros) == {"currency": "EUR"}
    assert conform({"currency": "ISO code"}, schema) == {"currency": "ISO code"}
    enum = {"type": "object", "properties": {"currency": {"enum": ["EUR", "USD"]}}}
    assert conform({"currency": "EUR"}, enum, conventions=euros) == {"currency": "EUR"}
