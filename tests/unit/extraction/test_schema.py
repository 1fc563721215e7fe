import json
import re

import pytest

from longdoc.extraction.schema import (
    NESTED_LIST_ITEMS,
    NUMBER_AS_WRITTEN,
    TargetSchema,
    asks_for_json,
    derive_schema,
    descriptions,
    list_name,
    part_schema,
)

SEED = (
    "From these two product manuals, extract all product information as a JSON array; each object "
    "has model, name and price (currency symbols and commas removed)"
)


def test_seed_prompt_gives_an_array_of_products_with_numeric_price() -> None:
    target = derive_schema(SEED)
    assert asks_for_json(SEED)
    assert target.is_array and target.fields == ["model", "name", "price"]
    assert target.item_schema["properties"]["price"]["type"] == ["number", "null"]
    assert target.item_schema["properties"]["name"]["type"] == ["string", "null"]


def test_the_following_fields_keep_their_names_and_their_notes_as_descriptions() -> None:
    # the seed's exact words (issue #16): "the following" is not part of the first field's name
    target = derive_schema(
        "From these two product manuals, extract all product information and organize it into a standard "
        "JSON array. Each object must include the following: model (the product model), name (the product "
        "name), and price (price with currency symbols and commas removed)."
    )
    assert target.is_array and target.fields == ["model", "name", "price"]
    properties = target.item_schema["properties"]
    assert properties["model"]["description"] == "the product model"
    assert properties["price"] == {
        "type": ["number", "null"],
        "description": "price with currency symbols and commas removed",
    }
    listed = derive_schema("List every item; each has the following fields: sku, price (in EUR) and qty.")
    assert listed.fields == ["sku", "price", "qty"]
    assert "description" not in listed.item_schema["properties"]["sku"]


def test_a_list_is_named_by_what_the_instruction_lists() -> None:
    assert list_name("Extract all products with model, name and price.") == "products"
    assert list_name("List every invoice line with its amount") == "invoice_lines"
    assert list_name("Extract all the line items listed in the order") == "line_items"
    assert list_name("提取所有产品的型号、名称和价格。") == "产品"  # named in English by ``naming``
    assert list_name("Extract the totals.") == "items"


def test_chinese_fields() -> None:
    target = derive_schema(
        "从产品手册中提取所有产品，输出JSON数组，每个对象包含型号、名称和价格（去掉货币符号）"
    )
    assert asks_for_json("输出JSON数组")
    assert target.is_array and target.fields == ["型号", "名称", "价格"]
    assert target.item_schema["properties"]["价格"]["type"] == ["number", "null"]


def test_chinese_fields_without_an_intro_word() -> None:
    listed = derive_schema("提取所有产品的型号、名称和价格。")
    assert listed.is_array and listed.fields == ["型号", "名称", "价格"]
    one = derive_schema("帮我把这份文件的关键信息整理出来：双方全称、总金额、签订日期、期限。")
    assert not one.is_array and one.fields == ["双方全称", "总金额", "签订日期", "期限"]
    cv = derive_schema("请提取候选人的联系方式、技能列表和教育背景，输出 JSON。")
    assert not cv.is_array and cv.fields == ["联系方式", "技能列表", "教育背景"]  # "输出 JSON" names none
    assert cv.item_schema["properties"]["技能列表"] == {"type": "array", "items": {"type": "string"}}
    assert derive_schema("提取这份文件的摘要。").fields == ["summary"]


def test_fields_list_gives_one_object() -> None:
    target = derive_schema("Return JSON with fields: party, jurisdiction, effective date, term")
    assert not target.is_array
    assert target.fields == ["party", "jurisdiction", "effective_date", "term"]


def test_classification_labels_become_an_enum() -> None:
    target = derive_schema(
        "Classify the sentiment of this review as one of: positive, negative, neutral. JSON"
    )
    assert target.schema["properties"]["label"]["enum"] == ["positive", "negative", "neutral"]
    chinese = derive_schema("请将这篇文档分类为：财经、体育、科技。输出JSON")
    assert chinese.schema["properties"]["label"]["enum"] == ["财经", "体育", "科技"]
    moderation = derive_schema("Moderate this comment: label it safe or unsafe, in JSON")
    assert moderation.schema["properties"]["label"]["enum"] == ["safe", "unsafe"]


def test_summary_and_unnamed() -> None:
    assert derive_schema("Summarize the report as JSON").fields == ["summary"]
    assert derive_schema("answer in json").schema == {"type": "object"}


def test_part_schema_reads_strings_and_allows_null() -> None:
    part = part_schema(derive_schema(SEED))
    item = part["items"]
    assert item["required"] == ["model", "name", "price"]
    assert item["properties"]["name"] == {"type": ["string", "null"]}
    assert item["properties"]["price"] == {
        "anyOf": [{"type": "string", "pattern": NUMBER_AS_WRITTEN}, {"type": "null"}]
    }
    enum = part_schema(derive_schema("Classify as one of: a1, b2 (JSON)"))
    assert enum["properties"]["label"] == {"enum": ["a1", "b2", None]}


def test_a_number_is_read_as_written_but_must_hold_a_digit() -> None:
    written = re.compile(NUMBER_AS_WRITTEN)
    for text in ("12,999元", "¥8,999", "5 981,12 €", "US$ 1,299.00", "(461)", "24 months", "approx. 5 kg"):
        assert written.match(text), text
    for text in (",", "n/a", "", "€", "see above"):
        assert not written.match(text), text


def test_the_embedded_grammar_admits_only_the_labels() -> None:
    """With a "type" list beside it, llama.cpp's grammar ignored the enum and let any string through."""
    grammar = pytest.importorskip("llama_cpp.llama_grammar", reason="the embedded extra is not installed")
    given = {
        "type": "object",
        "properties": {"state": {"type": ["string", "null"], "enum": ["Ohio", "Utah", None]}},
    }
    rules = grammar.json_schema_to_gbnf(json.dumps(part_schema(TargetSchema.given(given, frozenset()))))
    state = next(line for line in rules.splitlines() if line.startswith("state ::="))
    assert state == 'state ::= "\\"Ohio\\"" | "\\"Utah\\"" | "null"'


def test_lists_inside_an_item_are_bounded_in_a_part() -> None:
    listed = {"type": "array", "items": {"type": "string"}}
    target = TargetSchema.given(
        {"type": "object", "properties": {"party": listed, "tag": listed}}, frozenset()
    )
    assert "maxItems" not in part_schema(TargetSchema.given(listed, frozenset()))  # the answer's own list
    assert part_schema(target)["properties"]["party"]["maxItems"] == NESTED_LIST_ITEMS
    short = {"type": "object", "properties": {"p": {**listed, "maxItems": 3}, "tag": listed}}
    assert part_schema(TargetSchema.given(short, frozenset()))["properties"]["p"]["maxItems"] == 3


def test_a_list_wrapped_in_an_object_is_read_as_the_list() -> None:
    item = {"type": "object", "properties": {"command": {"type": "string"}}}
    target = TargetSchema.given(
        {"type": "object", "properties": {"items": {"type": "array", "items": item}}}, frozenset()
    )
    assert target.is_array and target.item_schema == item
    assert target.wrap([{"command": "ls"}]) == {"items": [{"command": "ls"}]}
    plain = TargetSchema.given({"type": "object", "properties": {"a": {"type": "string"}}}, frozenset())
    assert not plain.is_array and plain.wrap({"a": "x"}) == {"a": "x"}


def test_every_description_at_any_depth() -> None:
    schema = {
        "type": "object",
        "description": "a receipt",
        "properties": {
            "date": {"description": "printed day first"},
            "lines": {"items": {"description": "a line"}},
        },
        "anyOf": [{"description": "one"}],
    }
    assert sorted(descriptions(schema)) == ["a line", "a receipt", "one", "printed day first"]


def test_a_field_whose_note_says_it_is_a_number_is_a_number() -> None:
    found = derive_schema("Return JSON with keys shop, model (the model number) and total (a number).")
    properties = found.schema["properties"]
    assert properties["total"]["type"] == ["number", "null"]
    assert properties["model"]["type"] == ["string", "null"]
    chinese = derive_schema("字段：甲方、乙方、合同总金额（元，数字）、签订日期。").schema["properties"]
    assert chinese["合同总金额"]["type"] == ["number", "null"]


def test_a_list_after_a_colon_with_an_item_list_in_brackets() -> None:
    target = derive_schema(
        "Read this business document and return: document_number, seller, date, delivery_date, total, "
        "items[description, quantity, unit_price, weight_kg]. Dates as YYYY-MM-DD, numbers without "
        "thousands separators."
    )
    assert not target.is_array
    assert target.fields == ["document_number", "seller", "date", "delivery_date", "total", "items"]
    properties = target.schema["properties"]
    assert properties["date"]["description"] == properties["delivery_date"]["description"] == "YYYY-MM-DD"
    assert "description" not in properties["seller"]
    assert properties["total"]["type"] == ["number", "null"]
    item = properties["items"]["items"]["properties"]
    assert list(item) == ["description", "quantity", "unit_price", "weight_kg"]
    assert item["weight_kg"]["type"] == item["unit_price"]["type"] == ["number", "null"]  # a unit; an amount


def test_notes_give_labels_lists_and_an_item_s_own_fields() -> None:
    target = derive_schema(
        "Return JSON with parties (list of names), contract_type (one of: affiliate, agency, supply), "
        "total (number, incl. tax), currency (ISO code), line_items (description, quantity, amount) and "
        'notice_period_to_terminate_renewal (e.g. "90 days"); null where the contract is silent.'
    )
    assert not target.is_array  # "list of names" lists a field's values, not the answer
    properties = target.schema["properties"]
    assert list(properties) == [
        "parties", "contract_type", "total", "currency", "line_items", "notice_period_to_terminate_renewal"
    ]  # fmt: skip
    assert properties["parties"]["type"] == "array"
    assert properties["contract_type"]["enum"] == ["affiliate", "agency", "supply"]
    assert properties["total"] == {"type": ["number", "null"], "description": "number, incl. tax"}
    assert properties["currency"] == {"type": ["string", "null"], "description": "ISO code"}
    assert list(properties["line_items"]["items"]["properties"]) == ["description", "quantity", "amount"]


def test_a_letter_at_the_end_of_a_key_is_not_a_unit() -> None:
    target = derive_schema("Fields: party_a, party_b, weight_kg, warrantyMonths")
    properties = target.schema["properties"]
    assert properties["party_a"]["type"] == properties["party_b"]["type"] == ["string", "null"]
    assert properties["weight_kg"]["type"] == properties["warrantyMonths"]["type"] == ["number", "null"]
