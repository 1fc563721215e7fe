from dataclasses import replace

from longdoc.extraction.naming import english_keys
from longdoc.extraction.schema import TargetSchema, derive_schema, list_name
from longdoc.inference.fake import FakeBackend

LISTED = "提取所有产品的型号、名称和价格。"


def listed() -> TargetSchema:
    return replace(derive_schema(LISTED), wrapper=list_name(LISTED))


def test_fields_and_their_list_named_in_another_script_get_english_keys() -> None:
    backend = FakeBackend(['"model"', '"name"', '"price"', '"product"'])
    target = english_keys(listed(), LISTED, backend)
    assert target.fields == ["model", "name", "price"]
    assert target.item_schema["required"] == ["model", "name", "price"]
    assert target.wrapper == "products"
    assert target.wrap([]) == {"products": []}
    asked = [messages[-1].content for messages, _params in backend.calls]
    assert ['"型号"' in asked[0], '"产品"' in asked[3]] == [True, True]


def test_a_key_the_model_gives_twice_or_spells_badly_stays_as_written() -> None:
    backend = FakeBackend(['"contract"', '"contract"', '"Price!"', '"items"'])
    target = english_keys(listed(), LISTED, backend)
    assert target.fields == ["型号", "名称", "价格"]
    assert target.wrapper == "items"


def test_english_fields_ask_the_model_nothing() -> None:
    backend = FakeBackend(['"x"'])
    target = derive_schema("Extract all products with model, name and price.")
    assert english_keys(target, "Extract all products with model, name and price.", backend) is target
    assert backend.calls == []
