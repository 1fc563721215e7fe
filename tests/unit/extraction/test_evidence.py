import pytest

from longdoc.extraction.evidence import as_written, supported, without_file_names
from longdoc.extraction.profiles.legal_forms import entity_key
from longdoc.extraction.profiles.parties import (
    defined_name,
    is_defined_term,
    is_description,
    is_placeholder,
    named,
    principal_name,
    whole_name,
)
from support.extraction import grounded

CONTRACT = (
    "This Agreement is made between Kite Pharma,\nInc., a Delaware corporation (“Kite”), and Gilead "
    "Sciences, Inc. (together with its affiliates, the “Company”), and Sears, Roebuck and Co. "
    '(hereinafter referred to as "Sears"), Jane Roe (“Roe” or the “Executive”, and with Kite the “Parties”). 甲公司（以下简称“甲方”）。 The “Purpose” is defined below; the term “Employer” shall mean Acme and “Recipient” means Beta.'
)


@pytest.mark.parametrize(
    "term",
    [
        "Kite",
        "Company",
        "the Company",
        "Sears",
        "甲方",
        "“Company”",
        "Employer",
        "Recipient",
        "Executive",
        "Parties",
    ],
)
def test_defined_terms_are_recognised(term: str) -> None:
    assert is_defined_term(term, (CONTRACT,))


@pytest.mark.parametrize("value", ["Kite Pharma", "Gilead Sciences, Inc.", "Purpose", "Delaware"])
def test_names_and_quoted_words_are_not_defined_terms(value: str) -> None:
    assert not is_defined_term(value, (CONTRACT,))


@pytest.mark.parametrize(
    ("value", "whole"),
    [
        ("Kite Pharma", "Kite Pharma, Inc."),  # across the line break, spaces made single
        ("Sears", "Sears, Roebuck and Co."),
        ("GILEAD SCIENCES", "Gilead Sciences, Inc."),  # as the text writes it
    ],
)
def test_names_take_their_legal_form(value: str, whole: str) -> None:
    assert whole_name(value, CONTRACT) == whole


@pytest.mark.parametrize("value", ["Delaware", "Gilead Sciences, Inc.", "purpose", "Acme"])
def test_other_values_are_left_alone(value: str) -> None:
    # "a Delaware corporation" is no name; a name with its form, a lower-case word, a name
    # written nowhere with a form stay as they are
    assert whole_name(value, CONTRACT) is None


def test_a_date_before_a_name_is_not_made_a_name() -> None:
    assert whole_name("March 1, 2017", "Date: March 1, 2017\nGILEAD SCIENCES, INC.") is None


def test_entity_keys_ignore_the_legal_form() -> None:
    assert entity_key("kite pharma, inc.") == entity_key("kite pharma") == "kite pharma"
    assert entity_key("leonard green & partners, l.p.") == "leonard green & partners"


def test_only_values_the_part_holds_are_kept() -> None:
    surface = {
        "party": ["Kite Pharma, Inc.", "Acme"],
        "date": "2023-01-01",
        "law": "California",
        "term": None,
    }
    sources = [
        grounded("party", value="Kite Pharma, Inc."),
        grounded("law"),
    ]
    assert supported(surface, sources) == {
        "party": ["Kite Pharma, Inc."],
        "date": None,
        "law": "California",
        "term": None,
    }


def test_a_defined_term_gives_the_name_it_stands_for() -> None:
    definitions = (CONTRACT,)
    surface = {"party": ["Sears", "Company", "Kite Pharma", "Purpose"], "law": "Delaware"}
    assert named(surface, CONTRACT, definitions) == {
        # "Sears" is made whole before it is read as a term; “Purpose” stands for no name
        "party": ["Sears, Roebuck and Co.", "Gilead Sciences, Inc.", "Kite Pharma, Inc.", "Purpose"],
        "law": "Delaware",
    }
    two = "between the Company and Acme Widgets, Inc. (“Acme”)"
    assert whole_name("Company", two) is None  # not across "and" into the next party


@pytest.mark.parametrize(
    ("term", "name"),
    [
        ("CEDC", "Central European Distribution Corporation"),  # past ", a Delaware corporation"
        ("Executive", "Shirley P. Fiano"),  # past ", an individual resident of …"
        ("Employee", None),  # "the undersigned" is no name
        ("Asset Purchase Agreement", None),  # "Buyer" before it is itself a term
    ],
)
def test_the_name_a_term_stands_for(term: str, name: str | None) -> None:
    text = (
        "between Central European Distribution Corporation, a Delaware corporation (“CEDC”), and Shirley "
        "P. Fiano, an individual resident of the State of Florida (“Executive”); the undersigned "
        "(“Employee”); Acme, Inc. (“Buyer”) and Sellers; Sellers and Buyer (the “Asset Purchase Agreement”)."
    )
    assert defined_name(term, (text,)) == name


def test_an_alias_gives_way_to_the_name() -> None:
    text = "between Net Talk.com, Inc., (f/k/a Discover Screens, Inc.), a Florida corporation, and Acme"
    assert principal_name("Discover Screens, Inc.", text) == "Net Talk.com, Inc."
    assert principal_name("Tyco Healthcare Group LP d/b/a Covidien", text) == "Tyco Healthcare Group LP"
    assert principal_name("Acme", text) is None
    assert named({"party": ["Discover Screens"]}, text, (text,)) == {"party": ["Net Talk.com, Inc."]}


def test_what_the_text_only_writes_after_a_or_an_describes_rather_than_names() -> None:
    assert is_description("Delaware corporation", CONTRACT)
    assert not is_description("Delaware", CONTRACT)  # a name: the last word is capitalised
    assert not is_description("corporation", "the corporation and a corporation")
    assert is_description("its parent, divisions, subsidiaries and affiliates", "")
    assert not is_description("Its Deli LLC", "")  # a name may begin with such a word, capitalised
    assert named({"term": "a", "party": ["the"]}, CONTRACT, (CONTRACT,)) == {"term": None, "party": []}
    surface = {"party": ["Delaware corporation", "Acme"], "kind": "Delaware corporation"}
    assert named(surface, CONTRACT, (CONTRACT,)) == {"party": ["Acme"], "kind": "Delaware corporation"}


def test_a_term_defined_with_its_comma_or_article_inside_the_quotes() -> None:
    text = "Vocus, Inc., a Delaware corporation (“Vocus” and collectively with its subsidiaries, the “Company,” “we”)"
    assert is_defined_term("Company", (text,))
    assert named({"party": ["Company"]}, text, (text,)) == {"party": ["Vocus, Inc."]}
    assert is_defined_term(
        "Company", ("BAR HARBOR BANKSHARES, a Maine corporation (hereinafter, “the Company”)",)
    )


def test_a_blank_of_a_form_is_no_value() -> None:
    text = "“Company” means [Employer Name] and its successors; Employer Name: Acme"
    assert is_placeholder("Employer Name", "“Company” means [Employer Name] and its successors")
    assert is_placeholder("[Employer Name]", "“Company” means [Employer Name]")
    assert not is_placeholder("Employer Name", text)  # also written outside the brackets
    assert named({"party": ["Employer Name", "Acme"]}, "means [Employer Name]; Acme", ()) == {
        "party": ["Acme"]
    }


def test_a_value_loses_the_parenthesis_defining_a_term_for_it() -> None:
    text = (
        "Providence Equity Partners LLC (referred to as “you” or “your” as appropriate) and Acme (Europe) Ltd"
    )
    surface = {
        "party": [
            "Providence Equity Partners LLC (referred to as “you” or “your” as appropriate)",
            "Acme (Europe) Ltd",
        ]
    }
    assert named(surface, text, (text,)) == {"party": ["Providence Equity Partners LLC", "Acme (Europe) Ltd"]}


def test_a_list_of_names_holds_no_words_written_in_lower_case() -> None:
    text = "PARTIES: Eric Dean Sprunk and NIKE, Inc., divisions, subsidiaries and affiliates. Flour, sugar."
    surface = {"party": ["NIKE, Inc.", "divisions", "affiliates"], "ingredients": ["Flour", "sugar"]}
    assert named(surface, text, (text,)) == {"party": ["NIKE, Inc."], "ingredients": ["Flour", "sugar"]}
    assert named({"party": ["acme", "beta"]}, "acme and beta", ()) == {
        "party": ["acme", "beta"]
    }  # none capitalised
    names = [
        "Alibaba Group Holding Limited",
        "阿里巴巴集团",
        "蚂蚁集团",
    ]  # no capitals in Chinese: no lower case
    assert named({"company_names": names}, "", ()) == {"company_names": names}


def test_a_value_is_spelt_as_the_text_writes_it() -> None:
    text = "between Roundy’s, Inc. and Florists’ Transworld Delivery,\nInc. (“FTD”)"
    assert as_written("Roundy's, Inc.", text) == "Roundy’s, Inc."
    assert as_written("Florists' Transworld Delivery, Inc.", text) == "Florists’ Transworld Delivery, Inc."
    assert as_written("Roundys", text) == "Roundys"  # not written so: left as it is
    assert named({"party": ["Roundy's"]}, text, (text,)) == {"party": ["Roundy’s, Inc."]}


def test_what_describes_more_than_a_name_is_cut_or_dropped() -> None:
    text = "Virginia National Bank and its affiliates, including VNBTrust, N.A. IN WITNESS WHEREOF, Our employees"
    surface = {
        "party": [
            "Virginia National Bank and its affiliates, including VNBTrust, N.A.",
            "IN",
            "Our employees",
        ]
    }
    assert named(surface, text, (text,)) == {"party": ["Virginia National Bank"]}


def test_a_call_keeps_its_arguments() -> None:
    text = 'source("commands.R") - run the commands stored in a file'
    assert named({"command": 'source("commands.R")'}, text, (text,)) == {"command": 'source("commands.R")'}


def test_a_value_loses_the_end_of_json_the_model_closed_inside_it() -> None:
    text = "Education: MBA, University of Manchester (2020); see note [1]."
    assert as_written("University of Manchester (2020)},{", text) == "University of Manchester (2020)"
    assert as_written("University of Manchester (2020)}]", text) == "University of Manchester (2020)"
    assert as_written("note [1]", text) == "note [1]"  # written so in the text: kept


def test_the_file_s_name_is_no_value_unless_the_text_writes_it() -> None:
    answer = {"number": "eu_01_de_invoice.pdf", "seller": "Brandt GmbH", "lines": ["EU_01_DE_INVOICE", "x"]}
    assert without_file_names(answer, "eu_01_de_invoice.pdf", "Rechnung RE-1 Brandt GmbH") == {
        "number": None,
        "seller": "Brandt GmbH",
        "lines": [None, "x"],
    }
    assert without_file_names({"number": "INV-7"}, "INV-7.pdf", "Invoice INV-7") == {"number": "INV-7"}
    party = "Sphere 3D Corp. 06 24 2020-EX-10.12-CONSULTING_AGREEMENT.PDF"
    assert without_file_names([party, "Sphere 3D Corp."], "SPHERE3DCORP-EX-10.12.PDF", "Sphere 3D Corp.") == [
        None,
        "Sphere 3D Corp.",
    ]
