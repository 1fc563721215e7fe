"""An item's fields that name a unit take the quantity of that dimension written where the item is,
not a number the model copied from another column or item."""

from longdoc.extraction.quantities import placed

TABLE = (
    "| N° | Désignation | Qté | Prix |\n|---|---|---|---|\n"
    "| 1 | Monitor Lumo 27 Garantie : 36 mois | 1 | 347,67 € |\n"
    "| 2 | Powerbank PB-10 Capacité : 10000 mAh | 10 | 37,01 € |\n"
    "| 3 | Notebook Aria 14 Garantie : 2 ans | 3 | 982,79 € |\n"
    "| 4 | Tono Poids : 750 g | 1 | 58,63 € |\n\n"
    "Paiement à 30 jours."
)
ITEM = {
    "type": "object",
    "properties": {
        "description": {"type": "string"},
        "quantity": {"type": "number"},
        "capacity_mah": {"type": "integer"},
        "weight_kg": {"type": "number"},
        "warranty_months": {"type": "integer"},
    },
}
SCHEMA = {"type": "object", "properties": {"items": {"type": "array", "items": ITEM}}}


def test_each_item_takes_the_quantities_written_on_its_own_row() -> None:
    copied = {
        "items": [
            {"description": "Monitor Lumo 27 Garantie : 36 mois", "quantity": "1", "capacity_mah": "10000 mAh",
             "weight_kg": "1", "warranty_months": None},
            {"description": "Powerbank PB-10 Capacité : 10000 mAh", "quantity": "10", "capacity_mah": None,
             "weight_kg": "10000", "warranty_months": "10"},
            {"description": "Notebook Aria 14 Garantie : 2 ans", "quantity": "3", "warranty_months": "2"},
            {"description": "Tono Poids : 750 g", "quantity": "1", "weight_kg": "750", "warranty_months": "750"},
        ]
    }  # fmt: skip
    items = placed(copied, SCHEMA, TABLE, decimal_comma=True)["items"]
    assert [(i.get("capacity_mah"), i.get("weight_kg"), i.get("warranty_months")) for i in items] == [
        (None, None, "36 mois"),
        ("10000 mAh", None, None),
        (None, None, "2 ans"),
        (None, "750 g", None),  # not the "30 jours" of the payment terms below the table
    ]
    assert [i["quantity"] for i in items] == ["1", "10", "3", "1"]  # no unit: left as the model wrote it
    # a name ending with the quantity a field took, under a label, loses the labelled attribute
    assert [i["description"] for i in items] == [
        "Monitor Lumo 27",
        "Powerbank PB-10",
        "Notebook Aria 14",
        "Tono",
    ]


def test_a_quantity_without_a_label_or_a_label_in_capitals_stays_in_the_name() -> None:
    text = "| Ersatzakku 4000 mAh | 1 |\n| Lautsprecher Tono Poids: 750 g | 2 |\n| Akku battery life: 2 ans | 3 |"
    listed = [{"description": "Ersatzakku 4000 mAh"}, {"description": "Lautsprecher Tono Poids: 750 g"},
              {"description": "Akku battery life: 2 ans"}]  # fmt: skip
    assert [i["description"] for i in placed(listed, {"type": "array", "items": ITEM}, text, True)] == [
        "Ersatzakku 4000 mAh",  # a capacity in the name, no label
        "Lautsprecher Tono",  # one word of label; "Tono" is the product's
        "Akku",  # a label of two words, the second in lower case
    ]


def test_a_list_answer_and_items_not_found_in_the_text() -> None:
    listed = [
        {"description": "Tono Poids : 750 g", "weight_kg": "0.75"},
        {"description": "elsewhere", "weight_kg": "2"},
    ]
    assert placed(listed, {"type": "array", "items": ITEM}, TABLE, decimal_comma=True) == [
        {"description": "Tono", "weight_kg": "750 g"},  # the attribute is the weight's
        {"description": "elsewhere", "weight_kg": "2"},
    ]


def test_fields_without_a_unit_are_untouched() -> None:
    plain = {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"},
                                                                        "size": {"type": "number"}}}}  # fmt: skip
    rows = [{"name": "Monitor Lumo 27 Garantie : 36 mois", "size": "27"}]
    assert placed(rows, plain, TABLE, decimal_comma=True) == rows
