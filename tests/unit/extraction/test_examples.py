"""The caller's few-shot examples (``x_extraction_examples``): checked in shape, size and against
the schema; shown before the document in every part's prompt, inside the prompt budget; never a
source of values."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from longdoc.context.tokens import TokenCounter
from longdoc.core.errors import InvalidRequest
from longdoc.core.extraction import (
    MAX_EXAMPLE_CHARS,
    MAX_EXAMPLES,
    MAX_EXAMPLES_CHARS,
    ExtractionExample,
    parse_examples,
)
from longdoc.extraction.examples import check_examples, examples_prompt
from longdoc.extraction.run import DocumentExtraction
from longdoc.extraction.schema import TargetSchema
from longdoc.inference.fake import FakeBackend

Planned = Callable[..., DocumentExtraction]
Extract = Callable[..., tuple[Any, int]]
COMPANY = {
    "type": "object",
    "properties": {"company": {"type": ["string", "null"]}, "city": {"type": ["string", "null"]}},
}
EXAMPLE = ExtractionExample(
    "Acme Corp, a supplier of anvils, is based in Springfield.",
    {"company": "Acme Corp", "city": "Springfield"},
)
DOCUMENT = "Globex Inc. makes hammocks. Its founder writes poems about the sea."
NAME = re.compile(r"[A-Z][a-z]+ (?:Inc\.|Corp)")


def globex(part: str) -> dict[str, Any]:
    return {"company": "Globex Inc.", "city": None}


def refused(data: Any) -> str:
    with pytest.raises(InvalidRequest) as raised:
        parse_examples(data)
    assert raised.value.param == "x_extraction_examples"
    return raised.value.message


def test_examples_are_read_from_json_data() -> None:
    assert parse_examples(None) == ()
    assert parse_examples([{"text": EXAMPLE.text, "output": EXAMPLE.output}]) == (EXAMPLE,)
    assert parse_examples([{"text": "None here.", "output": None}]) == (
        ExtractionExample("None here.", None),
    )


def test_examples_of_another_shape_are_refused_saying_what_is_wrong() -> None:
    assert "must be a list" in refused({"text": "a", "output": {}})
    assert "x_extraction_examples[0] must be an object" in refused(["Acme Corp"])
    assert "x_extraction_examples[1] must be an object" in refused(
        [{"text": "a", "output": 1}, {"text": "b"}]  # no output
    )
    assert "these two keys only" in refused([{"text": "a", "output": 1, "explanation": "…"}])
    assert "x_extraction_examples[0].text must be a non-empty string" in refused([{"text": " ", "output": 1}])
    assert "non-empty string" in refused([{"text": 3, "output": 1}])


def test_examples_past_the_bounds_are_refused() -> None:
    one = {"text": "Acme Corp.", "output": {"company": "Acme Corp"}}
    assert parse_examples([one] * MAX_EXAMPLES)
    assert f"holds {MAX_EXAMPLES + 1} examples; at most {MAX_EXAMPLES}" in refused([one] * (MAX_EXAMPLES + 1))
    long_text = "x" * (MAX_EXAMPLE_CHARS + 1)
    assert "x_extraction_examples[0].text is 4,001 characters" in refused([{"text": long_text, "output": 1}])
    long_output = {"company": "x" * MAX_EXAMPLE_CHARS}
    assert "x_extraction_examples[0].output is" in refused([{"text": "a", "output": long_output}])
    near = "x" * (MAX_EXAMPLE_CHARS - 10)
    many = [{"text": near, "output": near}] * 3  # each within its bound, together past the total
    assert 3 * 2 * len(near) > MAX_EXAMPLES_CHARS
    assert f"at most {MAX_EXAMPLES_CHARS:,} are accepted" in refused(many)


def test_an_output_the_schema_refuses_is_refused() -> None:
    check_examples([EXAMPLE], COMPANY)
    check_examples([ExtractionExample("a", [1, 2])], None)  # no schema given: nothing to check against
    wrong = ExtractionExample("Acme Corp has 3 plants.", {"company": "Acme Corp", "city": 3})
    with pytest.raises(InvalidRequest) as raised:
        check_examples([EXAMPLE, wrong], COMPANY)
    assert raised.value.param == "x_extraction_examples"
    assert "x_extraction_examples[1].output does not match the JSON schema" in raised.value.message
    assert "city" in raised.value.message


def test_examples_are_shown_as_a_part_answers() -> None:
    assert examples_prompt([], TargetSchema(COMPANY, derived=False)) == ""
    shown = examples_prompt([EXAMPLE], TargetSchema(COMPANY, derived=False))
    assert "Example document 1:\n" in shown and EXAMPLE.text in shown
    assert 'Example answer 1:\n{"company": "Acme Corp", "city": "Springfield"}' in shown
    wrapped = {"type": "object", "properties": {"rows": {"type": "array", "items": COMPANY}}}
    listed = ExtractionExample(EXAMPLE.text, {"rows": [EXAMPLE.output]})
    shown = examples_prompt([listed], TargetSchema.given(wrapped, frozenset()))
    assert (
        'Example answer 1:\n[{"company": "Acme Corp", "city": "Springfield"}]' in shown
    )  # the list a part gives


def test_every_part_shows_the_examples_before_its_document(planned: Planned) -> None:
    texts = [f"Paragraph {n}. " + "Globex Inc. makes hammocks for the sea. " * 40 for n in range(6)]
    extraction = planned(texts, COMPANY, globex, examples=[EXAMPLE])
    list(extraction.run(None))
    model = extraction._backend
    assert isinstance(model, FakeBackend)
    assert len(model.calls) == len(extraction._job.parts) > 1
    for messages, _ in model.calls:
        prompt = messages[-1].content
        assert prompt.index("Example document 1:") < prompt.index(EXAMPLE.text) < prompt.index("<<<")
        assert prompt.index('Example answer 1:\n{"company": "Acme Corp"') < prompt.index("<<<")


def test_the_examples_take_their_tokens_from_the_parts(planned: Planned, tokens: TokenCounter) -> None:
    texts = ["Globex Inc. makes hammocks for the sea, and sells them by the river. " * 600]
    examples = [
        ExtractionExample("Acme Corp sells anvils. " * 150, {"company": "Acme Corp", "city": None})
    ] * 2
    plain = planned(texts, COMPANY, globex, part_tokens=10_000)  # the prompt budget decides the size
    shown = planned(texts, COMPANY, globex, part_tokens=10_000, examples=examples)
    example_tokens = tokens.count(shown._job.examples)
    assert example_tokens > 1_000
    budget = 4_000  # the test model's prompt budget
    assert max(p.tokens for p in plain._job.parts) + example_tokens > budget  # a plain part would not fit
    assert max(p.tokens for p in shown._job.parts) + example_tokens < budget
    assert len(shown._job.parts) > len(plain._job.parts)
    list(shown.run(None))
    model = shown._backend
    assert isinstance(model, FakeBackend) and model.prompt_budget_tokens is not None
    for messages, _ in model.calls:  # every prompt, examples included, within the model's budget
        assert tokens.count("".join(m.content for m in messages)) <= model.prompt_budget_tokens


def test_examples_too_long_for_the_prompt_are_refused(planned: Planned) -> None:
    examples = [
        ExtractionExample("Acme Corp sells anvils. " * 160, {"company": "Acme Corp", "city": None})
    ] * 4
    with pytest.raises(InvalidRequest) as raised:
        planned([DOCUMENT], COMPANY, lambda part: {}, examples=examples)
    assert raised.value.param == "x_extraction_examples"
    assert "give fewer or shorter examples" in raised.value.message


@pytest.mark.parametrize(
    "echo",
    [
        pytest.param({}, id="the model echoes nothing of the example"),
        pytest.param({"city": "Springfield"}, id="the model copies the example's value"),
    ],
)
def test_a_value_only_an_example_holds_never_reaches_the_answer(
    extract: Extract, echo: dict[str, str]
) -> None:
    def answer(part: str) -> dict[str, Any]:
        found = NAME.search(part)
        return {"company": found.group(0) if found else None, "city": None, **echo}

    value, _ = extract([DOCUMENT], COMPANY, answer, examples=[EXAMPLE])
    assert value["company"] == "Globex Inc."
    assert value["city"] is None
    assert all(source["field"] != "city" for source in value["_source"])
    assert "Springfield" not in str(value) and "Acme" not in str(value)
