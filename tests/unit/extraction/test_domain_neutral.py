"""Issue #16: what extraction does for every request must be right for any schema.

One test per row of the issue's table, calling what the pipeline calls, and whole extractions
through the pipeline with a fake model where only a run shows the row. Each rule tuned for
contracts still runs when the ``contracts`` profile is named (``test_profiles``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from longdoc.extraction.conventions import conventions_of
from longdoc.extraction.dates import find_dates, parse_date
from longdoc.extraction.evidence import spelt_as_written
from longdoc.extraction.labels import labelled_span
from longdoc.extraction.merge import Item, dedupe_keys, merge_items, merge_objects
from longdoc.extraction.normalise import conform, parse_number
from longdoc.extraction.profiles import NO_PROFILE
from support.extraction import NEUTRAL_TEXT, NEUTRAL_VALUES, schema_of

Extract = Callable[..., tuple[Any, int]]  # the ``extract`` fixture (conftest)


def core(surface: Any, text: str = NEUTRAL_TEXT) -> Any:
    """A part's answer as the core hands it on to grounding: spelt as written, no profile's rules."""
    return NO_PROFILE.refine(spelt_as_written(surface, text), text, text)


def test_codes_that_are_function_words_are_values() -> None:
    surface = {"state": "IN", "country": "AT", "status": "on"}
    assert core(surface) == surface


def test_product_names_are_not_places() -> None:
    surface = {"product_names": ["USB Flash Drive", "Tower Fan", "10000 mAh Power Bank"]}
    assert core(surface) == surface


def test_names_without_capital_letters_are_names() -> None:
    surface = {"company_names": ["Alibaba Group Holding Limited", "阿里巴巴集团", "蚂蚁集团"]}
    assert core(surface) == surface


def test_a_summary_keeps_its_clauses() -> None:
    surface = {"summary": "The quarter was strong, and its margins improved over the year."}
    assert core(surface) == surface


def test_a_quoted_filename_is_no_defined_term() -> None:
    assert core({"filename": "config.yaml"}) == {"filename": "config.yaml"}


def test_a_trade_name_stays_the_trade_name() -> None:
    assert core({"trade_name": "Covidien"}) == {"trade_name": "Covidien"}


def test_features_in_lower_case_are_kept() -> None:
    surface = {"features": ["stainless steel body", "waterproof design", "USB-C"]}
    assert core(surface) == surface


def test_names_differing_by_a_word_that_is_a_legal_form_elsewhere_stay_apart() -> None:
    keys = dedupe_keys({"properties": {"name": {}, "price": {}}})
    for one, other in (("iPhone SE", "iPhone"), ("Ford F-150 Limited", "Ford F-150")):
        items = [Item({"name": one, "price": None}, 1), Item({"name": other, "price": None}, 2)]
        assert [i.value["name"] for i in merge_items(items, keys)] == [one, other]
        strings = [Item(one, 1), Item(other, 2)]
        assert [i.value for i in merge_items(strings, dedupe_keys({"type": "string"}))] == [one, other]


def test_lengths_of_time_are_values_of_fields_asking_for_them() -> None:
    resume = "Jane Roe. Python developer with 5 years of experience in data pipelines."
    field = {"type": ["string", "null"], "description": "how many years of experience"}
    assert labelled_span("years_of_experience", field, [resume], [False]) is None  # nothing outweighs it
    invoice = "Invoice 42. Payment is due within 30 days of the invoice date."
    terms = {"type": ["string", "null"], "description": "payment terms, in days"}
    assert labelled_span("payment_terms_days", terms, [invoice], [False]) is None
    assert conform("within 30 days", {"type": "integer"}) == 30


def test_dates_read_by_the_documents_conventions() -> None:
    german = (
        "Rechnung Nr. 42. Rechnungsdatum: 03/04/2024. Bitte zahlen Sie den Betrag innerhalb von 30 Tagen."
    )
    conventions = conventions_of(german)
    assert conventions.day_first and conventions.decimal_comma
    assert parse_date("03/04/2024", conventions.day_first) == date(2024, 4, 3)
    assert [d for d, _s, _e in find_dates(german, conventions.day_first)] == [date(2024, 4, 3)]
    assert not conventions_of("Invoice 42. Invoice date: 03/04/2024. Please pay within 30 days.").day_first
    assert conventions_of("Invoice date: 25/12/2023; shipped 03/04/2024.").day_first  # shown by a date
    assert parse_date("2024/03/01") == date(2024, 3, 1)
    assert parse_date("2024年3月1日") == date(2024, 3, 1)
    date_field = {"type": "string", "format": "date"}
    assert conform("03/04/2024", date_field, conventions=conventions) == "2024-04-03"


def test_jobs_with_one_title_at_two_companies_are_two_jobs() -> None:
    job: dict[str, Any] = {"properties": {"title": {}, "company": {}, "start": {}}}
    items = [
        Item({"title": "Software Engineer", "company": "Acme", "start": "2019"}, 1),
        Item({"title": "Software Engineer", "company": "Globex", "start": "2021"}, 2),
        Item({"title": "Software Engineer", "company": "Acme", "start": None}, 3),  # a repeat
    ]
    merged = merge_items(items, dedupe_keys(job))
    assert [(i.value["company"], i.value["start"]) for i in merged] == [("Acme", "2019"), ("Globex", "2021")]


def test_a_list_in_an_object_gathers_every_parts_elements() -> None:
    schema = {
        "type": "object",
        "properties": {
            "skills": {"type": "array", "items": {"type": "string"}},
            "invoice": {
                "type": "object",
                "properties": {
                    "number": {"type": "string"},
                    "lines": {
                        "type": "array",
                        "items": {"type": "object", "properties": {"item": {}, "amount": {}}},
                    },
                },
            },
        },
    }
    items = [
        Item(
            {"skills": ["Python"], "invoice": {"number": "42", "lines": [{"item": "Desk", "amount": 300}]}}, 1
        ),
        Item(
            {
                "skills": ["SQL", "Python"],
                "invoice": {"number": None, "lines": [{"item": "Chair", "amount": 90}]},
            },
            2,
        ),
        Item({"skills": ["Go"], "invoice": {"number": "42", "lines": []}}, 3),
    ]
    merged = merge_objects(items, schema).value
    assert merged["skills"] == ["Python", "SQL", "Go"]
    assert merged["invoice"] == {
        "number": "42",
        "lines": [{"item": "Desk", "amount": 300}, {"item": "Chair", "amount": 90}],
    }


def test_numbers_with_units_and_multipliers() -> None:
    assert parse_number("24 months") == 24
    assert parse_number("5 kg") == 5
    assert parse_number("10000 mAh") == 10000
    assert parse_number("1.299,00 €") == 1299
    assert parse_number("1.5万") == 15000
    assert parse_number("2亿") == 200_000_000
    assert parse_number("$1,299.00") == 1299
    assert parse_number("$5k") == 5000
    assert parse_number("€2.5bn") == 2_500_000_000
    assert parse_number("3 million") == 3_000_000
    assert parse_number("5 m") == 5  # metres: no money, no multiplier
    assert parse_number("12,50 €") == 12.5
    assert parse_number("1,299", decimal_comma=True) == 1.299
    assert parse_number("1.299", decimal_comma=True) == 1299


# Whole extractions: what one object's answer keeps through the pipeline, with no profile.
def test_an_object_keeps_every_value_its_text_gives(extract: Extract) -> None:
    answer, _parts = extract([NEUTRAL_TEXT], schema_of(NEUTRAL_VALUES), lambda part: NEUTRAL_VALUES)
    answer.pop("_source")
    assert answer == NEUTRAL_VALUES


def test_lengths_of_time_and_european_dates_through_the_pipeline(extract: Extract) -> None:
    text = (
        "Lebenslauf von Jana Roe. Sie ist Entwicklerin mit 5 years Erfahrung in der Datenverarbeitung. "
        "Rechnungsdatum: 03/04/2024. Zahlbar innerhalb von 30 Tagen, within 30 days."
    )
    schema = {
        "type": "object",
        "properties": {
            "years_of_experience": {
                "type": ["string", "null"],
                "description": "how many years of experience",
            },
            "invoice_date": {"type": "string", "format": "date"},
            "payment_terms_days": {"type": ["integer", "null"], "description": "days to pay"},
        },
    }
    said = {
        "years_of_experience": "5 years",
        "invoice_date": "03/04/2024",
        "payment_terms_days": "within 30 days",
    }
    answer, _parts = extract([text], schema, lambda part: said)
    answer.pop("_source")
    assert answer == {
        "years_of_experience": "5 years",
        "invoice_date": "2024-04-03",
        "payment_terms_days": 30,
    }


def test_a_field_description_saying_day_first_reads_the_dates_so(extract: Extract) -> None:
    text = "WARAKUYA PERMAS CITY SDN BHD\nDate: 10/03/2018 19:02\nTOTAL 1,057.80"
    schema = {
        "type": "object",
        "properties": {
            "date": {
                "type": "string",
                "description": "receipt date as printed (DD/MM/YYYY), answered YYYY-MM-DD",
            },
            "total": {"type": "number"},
        },
    }
    answer, _parts = extract([text], schema, lambda part: {"date": "10/03/2018", "total": "1,057.80"})
    assert (answer["date"], answer["total"]) == ("2018-03-10", 1057.8)


def test_a_value_copied_to_every_row_stays_on_its_own(extract: Extract) -> None:
    text = (
        "Facture F-1\n| Article | Qté | Capacité |\n|---|---|---|\n| Batterie externe | 2 | 10000 mAh |\n"
        "| Câble USB-C | 5 |  |\n| Lampe de bureau | 1 |  |"
    )
    line = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "quantity": {"type": "integer"},
            "capacity_mah": {"type": ["number", "null"]},
        },
    }
    schema = {
        "type": "object",
        "properties": {"number": {"type": "string"}, "items": {"type": "array", "items": line}},
    }
    said = {
        "number": "F-1",
        "items": [
            {"name": n, "quantity": q, "capacity_mah": "10000 mAh"}
            for n, q in (("Batterie externe", "2"), ("Câble USB-C", "5"), ("Lampe de bureau", "1"))
        ],
    }
    answer, _parts = extract([text], schema, lambda part: said)
    assert [i["capacity_mah"] for i in answer["items"]] == [10000, None, None]


def test_two_jobs_with_one_title_through_the_pipeline(extract: Extract) -> None:
    text = "Experience. Software Engineer at Acme, 2019. Software Engineer at Globex, 2021."
    schema = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"title": {"type": "string"}, "company": {"type": "string"}},
        },
    }
    jobs = [
        {"title": "Software Engineer", "company": "Acme"},
        {"title": "Software Engineer", "company": "Globex"},
    ]
    answer, _parts = extract([text], schema, lambda part: jobs)
    assert [(j["title"], j["company"]) for j in answer] == [
        ("Software Engineer", c) for c in ("Acme", "Globex")
    ]


def test_an_objects_lists_gather_every_part_through_the_pipeline(extract: Extract) -> None:
    filler = " ".join(
        f"Note {n}: goods stay the property of the seller until paid in full." for n in range(30)
    )
    first = f"Invoice 42. Skills of the fitter: welding. Line: Desk, 300. {filler}"
    second = f"{filler} Skills of the fitter: plumbing. Line: Chair, 90."
    schema = {
        "type": "object",
        "properties": {
            "skills": {"type": "array", "items": {"type": "string"}},
            "invoice": {
                "type": "object",
                "properties": {
                    "lines": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"item": {"type": "string"}, "amount": {"type": "number"}},
                        },
                    }
                },
            },
        },
    }

    def answer(part: str) -> dict[str, Any]:
        skills = [s for s in ("welding", "plumbing") if s in part]
        lines = [
            {"item": i, "amount": a} for i, a in (("Desk", "300"), ("Chair", "90")) if f"{i}, {a}" in part
        ]
        return {"skills": skills, "invoice": {"lines": lines}}

    value, parts = extract([first + "\n\n" + second], schema, answer, part_tokens=64)
    assert parts >= 2
    assert value["skills"] == ["welding", "plumbing"]
    assert value["invoice"]["lines"] == [{"item": "Desk", "amount": 300}, {"item": "Chair", "amount": 90}]


def test_a_receipt_keeps_values_written_another_way(extract: Extract) -> None:
    # OCR of a receipt: a two-digit year, a total with trailing zero, a name over two lines
    text = (
        "Nando's Chickenland Malaysia\nSdn Bhd\nUnit G-13, Ground Floor\nTax Invoice\n"
        "28 Mar 18 18:32:36\nSub Total 129.30\nAmt Due 129.30\n"
    )
    schema = {
        "type": "object",
        "properties": {
            "company": {"type": "string"},
            "date": {"type": "string", "description": "receipt date, YYYY-MM-DD"},
            "total": {"type": "number"},
            "cashier": {"type": "string"},
        },
        "required": ["company", "date", "total", "cashier"],
    }
    said = {
        "company": "Nando's Chickenland Malaysia Sdn Bhd",
        "date": "2018-03-28",
        "total": "129.3",
        "cashier": "Syafiq",
    }
    answer, _parts = extract([text], schema, lambda part: said)
    grounded = {s["field"]: s["text"] for s in answer.pop("_source")}
    # the date and the total are found where the text writes them; the cashier is not in the text,
    # but the schema will not take null for it: the model's value beats an empty string
    assert answer == {
        "company": "Nando's Chickenland Malaysia Sdn Bhd",
        "date": "2018-03-28",
        "total": 129.3,
        "cashier": "Syafiq",
    }
    assert grounded == {
        "company": "Nando's Chickenland Malaysia\nSdn Bhd",
        "date": "28 Mar 18",
        "total": "129.30",
    }


def test_a_term_answered_as_a_bare_number_keeps_its_unit(extract: Extract) -> None:
    text = "技术服务合同\n甲方：北京云帆科技有限公司\n合同金额：人民币120,000元\n服务期限为18个月，自2024年3月1日起。"
    schema = {
        "type": "object",
        "properties": {"party_a": {"type": "string"}, "term": {"type": "string"}, "amount": {"type": "number"}},
    }
    said = {"party_a": "北京云帆科技有限公司", "term": "18", "amount": "120,000"}
    answer, _parts = extract([text], schema, lambda part: said)
    assert (answer["term"], answer["amount"]) == ("18个月", 120000)
