from longdoc.extraction.merge import Item, ItemKeys, dedupe_keys, merge_items, merge_objects
from longdoc.extraction.profiles.contracts import ContractsProfile
from support.extraction import grounded

ITEM = {"type": "object", "properties": {"model": {}, "name": {}, "price": {}}}


def test_keys_are_inferred_or_given() -> None:
    assert dedupe_keys(ITEM) == ItemKeys(("model",))
    assert dedupe_keys({"properties": {"name": {}, "price": {}}}) == ItemKeys(("name",), unique=False)
    assert dedupe_keys({"properties": {"a": {}, "b": {}}}) == ItemKeys(("a", "b"))
    assert dedupe_keys(ITEM, ["name"]) == ItemKeys(("name",))  # the caller's keys identify


def test_repeats_across_parts_merge_in_document_order() -> None:
    items = [
        Item({"model": "X-100", "name": "Alpha", "price": None}, 1, [grounded("model")]),
        Item({"model": "Y200", "name": "Beta", "price": 5}, 2),
        Item({"model": "x100", "name": "Alpha phone", "price": 8999}, 3, [grounded("price")]),
        Item({"model": "Z 300", "name": "Gamma", "price": 7}, 3),
    ]
    merged = merge_items(items, ItemKeys(("model",)))
    assert [i.value["model"] for i in merged] == ["X-100", "Y200", "Z 300"]
    assert merged[0].value == {"model": "X-100", "name": "Alpha", "price": 8999}  # the gap filled
    assert {s.field for s in merged[0].sources} == {"model", "price"}


def test_items_without_keys_compare_whole() -> None:
    items = [
        Item({"model": None, "name": "A"}, 1),
        Item({"model": None, "name": "B"}, 1),
        Item({"model": "", "name": "a"}, 2),
    ]
    assert [i.value["name"] for i in merge_items(items, ItemKeys(("model",)))] == ["A", "B"]


def test_single_objects_vote_and_prefer_verbatim_under_the_contracts_profile() -> None:
    schema = {"type": "object", "properties": {"party": {"type": "array"}, "term": {}, "jurisdiction": {}}}
    items = [
        Item({"party": ["Acme Inc."], "term": "2 years", "jurisdiction": None}, 1),
        Item(
            {"party": ["ACME INC", "Beta LLC"], "term": "5 years", "jurisdiction": "Delaware"},
            2,
            [grounded("term")],
        ),
        Item(
            {"party": [], "term": "2 years", "jurisdiction": "New York"},
            3,
            [grounded("jurisdiction")],
        ),
    ]
    merged = merge_objects(items, schema, profile=ContractsProfile())
    assert merged.value["party"] == ["Acme Inc."]  # Beta LLC: named by one later part only
    assert merged.value["term"] == "2 years"  # two parts say so
    assert merged.value["jurisdiction"] == "New York"  # a tie: the one found verbatim


def test_under_the_contracts_profile_an_objects_list_keeps_what_the_first_listing_part_or_several_parts_name() -> (
    None
):
    schema = {"type": "object", "properties": {"party": {"type": "array", "items": {"type": "string"}}}}
    items = [
        Item({"party": []}, 1),
        Item({"party": ["Kite Pharma", "Gilead Sciences, Inc."]}, 2),
        Item({"party": ["Jane Roe", "Beta LLC"]}, 3),  # who signed, and a name in passing
        Item({"party": ["KITE PHARMA, INC.", "Beta LLC"]}, 4),
    ]
    merged = merge_objects(items, schema, profile=ContractsProfile())
    # the fuller spelling of a name wins; a name two parts give is kept; one part's aside is not
    assert merged.value["party"] == ["KITE PHARMA, INC.", "Gilead Sciences, Inc.", "Beta LLC"]


def test_under_the_contracts_profile_an_objects_list_drops_fragments_of_its_names() -> None:
    schema = {"type": "object", "properties": {"party": {"type": "array", "items": {"type": "string"}}}}
    items = [Item({"party": ["Sears, Roebuck and Co.", "Roebuck", "Co.", "Roebuck Bank"]}, 1)]
    assert merge_objects(items, schema, profile=ContractsProfile()).value["party"] == [
        "Sears, Roebuck and Co.",
        "Roebuck Bank",
    ]
    # with no profile, every element is a value: a list may hold "Python" and "Python scripting"
    assert merge_objects(items, schema).value["party"] == [
        "Sears, Roebuck and Co.",
        "Roebuck",
        "Co.",
        "Roebuck Bank",
    ]


def test_a_fields_vote_trusts_the_parts_about_it() -> None:
    schema = {"type": "object", "properties": {"jurisdiction": {"type": "string"}}}
    items = [
        Item({"jurisdiction": "Delaware"}, 1),  # "a Delaware corporation" in the opening
        Item({"jurisdiction": "Delaware"}, 2),
        Item({"jurisdiction": "California"}, 3),  # "governed by the laws of the State of California"
    ]
    relevance = {"jurisdiction": {1: 0.0, 2: 0.2, 3: 1.0}}
    assert merge_objects(items, schema, relevance=relevance).value["jurisdiction"] == "California"
    assert merge_objects(items, schema).value["jurisdiction"] == "Delaware"  # without it: most parts


def test_an_item_keyed_by_a_name_merges_a_repeat_that_agrees_with_it() -> None:
    keys = ItemKeys(("name",), unique=False)
    items = [
        Item({"name": "Pulse Watch", "price": 12999, "colour": None}, 1),
        Item({"name": "PULSE WATCH", "price": "12,999", "colour": "black"}, 2),  # the same watch
        Item({"name": "Pulse Watch", "price": 8999, "colour": None}, 3),  # another one
    ]
    merged = merge_items(items, keys)
    assert [i.value for i in merged] == [
        {"name": "Pulse Watch", "price": 12999, "colour": "black"},
        {"name": "Pulse Watch", "price": 8999, "colour": None},
    ]


def test_a_repeat_adds_the_elements_its_lists_lack() -> None:
    items = [Item({"id": "A1", "tags": ["red"]}, 1), Item({"id": "a1", "tags": ["Red", "blue"]}, 2)]
    assert merge_items(items, ItemKeys(("id",)))[0].value == {"id": "A1", "tags": ["red", "blue"]}


def test_items_keyed_by_a_name_with_different_prices_are_two() -> None:
    keys = ItemKeys(("name",), unique=False)
    items = [Item({"name": "Cable", "price": 1999}, 1), Item({"name": "Cable", "price": 999}, 2)]
    assert [i.value["price"] for i in merge_items(items, keys)] == [1999, 999]
