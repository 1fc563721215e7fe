"""The caller's few-shot examples (``x_extraction_examples``), as every part's prompt shows them.

An example's output must be what the request's JSON schema accepts (checked before the response
starts); it is shown in the shape a part answers in — the list itself, for a list the schema wraps
in an object. The examples stand before the document, labelled as other documents: grounding
aligns values to the document's own text only, so a value only an example holds is never found
there, and is dropped like any other value the model did not read in the part.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from longdoc.core.errors import InvalidRequest
from longdoc.core.extraction import EXAMPLES_PARAM, ExtractionExample
from longdoc.extraction.schema import TargetSchema
from longdoc.extraction.validation import validation_problem

INTRO = (
    "Examples of the task done on other documents (they are not the document to read: never copy "
    "their values):\n\n"
)
EXAMPLE = 'Example document {n}:\n"""\n{text}\n"""\nExample answer {n}:\n{answer}\n\n'


def check_examples(examples: Sequence[ExtractionExample], schema: dict[str, Any] | None) -> None:
    """InvalidRequest for the first example whose output ``schema`` (the caller's, if any) refuses."""
    if schema is None:
        return
    for n, example in enumerate(examples):
        problem = validation_problem(example.output, schema)
        if problem is not None:
            raise InvalidRequest(
                f"{EXAMPLES_PARAM}[{n}].output does not match the JSON schema: {problem}",
                param=EXAMPLES_PARAM,
            )


def examples_prompt(examples: Sequence[ExtractionExample], target: TargetSchema) -> str:
    """The examples as they stand before each part's document; empty for none."""
    if not examples:
        return ""
    shown = (
        EXAMPLE.format(n=n, text=example.text.strip(), answer=_answer(example.output, target))
        for n, example in enumerate(examples, start=1)
    )
    return INTRO + "".join(shown)


def _answer(output: Any, target: TargetSchema) -> str:
    """The output as a part answers: a list the schema wraps in an object, unwrapped."""
    if target.wrapper is not None and isinstance(output, dict) and target.wrapper in output:
        output = output[target.wrapper]
    return json.dumps(output, ensure_ascii=False)
