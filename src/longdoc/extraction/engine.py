"""The extractor the chat engine hands extraction requests to.

A request is an extraction when it has documents and either asks for JSON through
``response_format`` (``json_object`` / ``json_schema``) or names a model marked ``extraction``
(qwen-doc-turbo) with an instruction asking for JSON. Everything that can be refused is checked
here, before the response starts — an unknown extraction profile, and examples whose output the
schema refuses or that leave the documents no room, too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from longdoc.chat.conversation import Conversation
from longdoc.chat.engine import ChatRequest
from longdoc.config import ContextSettings, ExtractionSettings
from longdoc.context.lexical import LexicalIndex
from longdoc.context.parts import Part, split_parts
from longdoc.context.tokens import TokenCounter
from longdoc.core.errors import InvalidRequest, TooLarge
from longdoc.core.extraction import EXAMPLES_PARAM
from longdoc.documents.ready import ReadyDocument
from longdoc.extraction.chunks import chosen_chunks, document_index, field_relevance
from longdoc.extraction.examples import check_examples, examples_prompt
from longdoc.extraction.job import ExtractionJob
from longdoc.extraction.naming import english_keys
from longdoc.extraction.profiles import profile_named
from longdoc.extraction.run import PROMPT, SYSTEM, DocumentExtraction
from longdoc.extraction.schema import (
    TargetSchema,
    asks_for_array,
    asks_for_json,
    derive_schema,
    list_name,
    part_schema,
    plain_number_fields,
)
from longdoc.inference.base import InferenceBackend, Throughput
from longdoc.inference.catalog import ModelEntry

# Tokens of a part prompt besides the part and the instruction: labels, shape and schema words.
PROMPT_OVERHEAD_TOKENS = 200
# A list part is asked again until a pass adds nothing: usually a pass that lists and one that finds
# nothing new.
EXPECTED_LIST_PASSES = 2


def estimate_seconds(
    parts: Sequence[Part],
    fixed_tokens: int,
    passes: int,
    output_tokens: int,
    throughput: Throughput,
) -> float:
    """Seconds to read ``parts`` ``passes`` times each, writing at most ``output_tokens`` a pass (a
    list part at most its own length: values are copied), spread over the backend's lanes."""
    reading = [
        passes * throughput.seconds(p.tokens + fixed_tokens, min(output_tokens, max(p.tokens, 64)))
        for p in parts
    ]
    lanes = max(1, throughput.parallel_requests)
    return max(sum(reading) / lanes, max(reading, default=0.0))


class ExtractionEngine:
    def __init__(
        self, tokens: TokenCounter, context: ContextSettings, settings: ExtractionSettings | None = None
    ) -> None:
        self._tokens = tokens
        self._context = context
        self._settings = settings or ExtractionSettings()

    def plan(
        self,
        model: ModelEntry,
        backend: InferenceBackend,
        request: ChatRequest,
        conversation: Conversation,
        documents: list[ReadyDocument],
        *,
        bounded: bool = True,
    ) -> DocumentExtraction | None:
        """The run for an extraction request (None: answer as chat), under the rules of the
        extraction profile it names, or the domain-neutral core only when it names none.

        ``bounded`` (a synchronous request): its estimated time must fit ``max_seconds``, by
        narrowing the reading if need be; else it is refused with a pointer to the Batch API."""
        # an unknown profile is refused even where no extraction follows
        options = request.extraction
        rules = profile_named(options.profile)
        params = request.params
        instruction = conversation.last_user_message
        if not (params.wants_json or (model.extraction and asks_for_json(instruction))):
            return None
        target = self.target(instruction, params.json_schema, object_required=params.json_object)
        check_examples(options.examples, params.json_schema)
        if target.derived:  # after every check: naming asks the model
            target = english_keys(target, instruction, backend)
        examples = examples_prompt(options.examples, target)
        schema_tokens = self._tokens.count(str(part_schema(target)))
        fixed = self._tokens.count(SYSTEM + PROMPT + instruction) + schema_tokens + PROMPT_OVERHEAD_TOKENS
        if backend.prompt_budget - fixed < 64:
            raise InvalidRequest(
                "The instruction and schema leave no room for the documents in the engine model's prompt; "
                "shorten them.",
                param="messages",
            )
        example_tokens = self._tokens.count(examples) if examples else 0
        fixed += example_tokens  # every part's prompt holds the examples: less room for the part
        room = backend.prompt_budget - fixed
        if room < 64:
            raise InvalidRequest(
                f"The extraction examples take {example_tokens:,} tokens of the engine model's "
                f"{backend.prompt_budget:,}-token prompt, leaving no room for the documents; "
                "give fewer or shorter examples.",
                param=EXAMPLES_PARAM,
            )
        wanted = self._settings.part_tokens if target.is_array else self._settings.object_part_tokens
        part_tokens = min(wanted, room)
        chunk_tokens = min(self._settings.chunk_tokens if target.is_array else part_tokens, part_tokens)
        indexes = [document_index(d, self._tokens, self._context, chunk_tokens) for d in documents]
        parts, seconds = self._parts(
            documents, indexes, target, instruction, part_tokens, fixed, schema_tokens, backend, bounded
        )
        fields = {
            name: str(sub.get("description", "")) if isinstance(sub, dict) else ""
            for name, sub in target.item_schema.get("properties", {}).items()
        }
        job = ExtractionJob(
            target=target,
            instruction=instruction,
            documents=documents,
            indexes=indexes,
            parts=parts,
            grounding=options.grounding,
            keys=options.dedupe_keys,
            relevance={} if target.is_array else field_relevance(fields, indexes, parts),
            profile=rules,
            examples=examples,
            estimated_seconds=seconds,
        )
        return DocumentExtraction(job, backend, self._settings)

    def _parts(
        self,
        documents: Sequence[ReadyDocument],
        indexes: Sequence[LexicalIndex],
        target: TargetSchema,
        instruction: str,
        part_tokens: int,
        fixed_tokens: int,
        schema_tokens: int,
        backend: InferenceBackend,
        bounded: bool,
    ) -> tuple[list[Part], float]:
        """The parts to read: the documents whole (or, past ``prefilter_min_tokens``, where the
        fields' and instruction's terms match) — narrowed to the matches when that takes too long."""
        query = " ".join([*target.fields, instruction])
        passes = EXPECTED_LIST_PASSES if target.is_array else 1
        output = self._settings.part_output_tokens
        if not target.is_array:
            output = min(output, schema_tokens)  # one object: about the schema's size
        seconds = 0.0
        for prefilter in (self._settings.prefilter_min_tokens, 0):
            chosen = [
                chosen_chunks(ix, d.tokens, query, prefilter)
                for ix, d in zip(indexes, documents, strict=True)
            ]
            parts = split_parts(documents, indexes, part_tokens, chosen)
            seconds = estimate_seconds(parts, fixed_tokens, passes, output, backend.throughput)
            if not bounded or seconds <= self._settings.max_seconds:
                return parts, seconds
        raise TooLarge(
            f"This extraction would read {len(parts):,} parts of the documents, about {seconds:,.0f} s on this "
            f"model, over the {self._settings.max_seconds:,.0f} s a request may take. Send it through the Batch "
            "API (/v1/batches), which has no such limit, or ask about fewer documents.",
            param="messages",
        )

    @staticmethod
    def target(
        instruction: str, schema: dict[str, Any] | None, *, object_required: bool = False
    ) -> TargetSchema:
        """The caller's schema, or the one the instruction describes; ``object_required``
        (``json_object`` mode answers an object) puts a derived list under the name of what it
        lists, unless the instruction itself asks for an array."""
        if schema is None:
            derived = derive_schema(instruction)
            if object_required and derived.is_array and not asks_for_array(instruction):
                return replace(derived, wrapper=list_name(instruction))
            return derived
        import jsonschema  # lazy: only extraction requests with a schema pay for it

        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise InvalidRequest(
                f"the JSON schema is not valid: {exc.message}", param="response_format"
            ) from None
        return TargetSchema.given(schema, plain_number_fields(schema, instruction))
