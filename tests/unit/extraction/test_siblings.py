"""A value that carries another field's value of its object is cut free of it."""

from __future__ import annotations

import pytest

from longdoc.extraction.siblings import without_siblings


@pytest.mark.parametrize(
    ("title", "kept"),
    [
        ("Software Engineer — Brightline Analytics Ltd.", "Software Engineer"),
        ("Software Engineer at Brightline Analytics Ltd.", "Software Engineer"),
        ("Brightline Analytics Ltd. | Software Engineer", "Software Engineer"),
        ("Software Engineer", "Software Engineer"),
        ("Brightline Analytics Ltd.", "Brightline Analytics Ltd."),  # all of it: nothing to cut
    ],
)
def test_a_title_carrying_the_company(title: str, kept: str) -> None:
    job = {"title": title, "company": "Brightline Analytics Ltd.", "start": "2020-05"}
    assert without_siblings([{"jobs": [job]}]) == [{"jobs": [{**job, "title": kept}]}]


def test_a_comma_is_no_mark_between_fields() -> None:
    shop = {"address": "12 Main Street, Springfield", "city": "Springfield"}
    assert without_siblings(shop) == shop


def test_a_value_inside_another_word_is_left_alone() -> None:
    product = {"name": "HX-100 Aurora Phone", "model": "HX-100", "size": "Pro-Max"}
    assert without_siblings(product) == product
