import pytest

from longdoc.extraction.profiles.parties import named
from longdoc.extraction.profiles.places import is_place

LETTER = (
    "March 17, 2010 FLIR Systems, Inc. 27700 SW Parkway Ave. Wilsonville, OR 97070 Attention: Mr. Craig "
    "Stoehr. LS Cable Ltd. ASEM Tower, (19-20F) 159 Samsung-dong, Gangnam-gu Seoul 135-090 Korea. EQT GP "
    "B.V., Schiphol Boulevard 355, 1118 BJ Schiphol The Netherlands. EXCO Resources, Inc. 12377 Merit "
    "Drive, Suite 1700 Dallas, Texas 75251. Richard Maltz, a resident of Hampden, Maine. Tower "
    "Semiconductor Ltd. 20 Shaul Amor Avenue. Dallas Cowboys Football Club signs Jane Dallas."
)


@pytest.mark.parametrize(
    "value",
    ["Wilsonville, OR 97070", "ASEM Tower", "Samsung-dong", "Seoul 135-090", "Korea", "The Netherlands",
     "Dallas, Texas", "Hampden", "3172 Porter Drive, Palo Alto, CA 94304", "80331 Munich"],
)  # fmt: skip
def test_the_lines_of_an_address_are_places(value: str) -> None:
    assert is_place(value, LETTER)


@pytest.mark.parametrize(
    "value",
    [
        "FLIR Systems, Inc.",
        "LS Cable Ltd.",
        "Richard Maltz",
        "EQT GP B.V.",
        "Tower Semiconductor Ltd.",
        "Craig Stoehr",
    ],
)
def test_names_are_not_places(value: str) -> None:
    assert not is_place(value, LETTER)


def test_a_list_of_names_holds_no_places_but_an_address_field_keeps_them() -> None:
    surface = {"party": ["EXCO Resources, Inc.", "Dallas, Texas"], "address": "Dallas, Texas"}
    assert named(surface, LETTER, (LETTER,)) == {
        "party": ["EXCO Resources, Inc."],
        "address": "Dallas, Texas",
    }
