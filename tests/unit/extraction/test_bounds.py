"""A synchronous extraction is bounded: estimated from its parts, passes and the backend's
throughput; narrowed to the chunks matching its fields when too long; refused with a pointer to the
Batch API when even that is too long; unbounded for batch lines and the command line."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from longdoc.config import ExtractionSettings
from longdoc.context.parts import Part
from longdoc.core.errors import TooLarge
from longdoc.extraction.engine import estimate_seconds
from longdoc.extraction.run import DocumentExtraction
from longdoc.inference.base import Throughput

SCHEMA = {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}}
# one line about the items among many that are not
TEXTS = [
    "The warehouse was repainted in spring and the roof was mended. " * 200 + "Item sku A-1 ships today."
]
SLOW = Throughput(prompt_tokens_per_second=100.0, generate_tokens_per_second=10.0)
Planned = Callable[..., DocumentExtraction]


def nothing(part: str) -> list[object]:
    return []


def test_the_estimate_counts_parts_passes_and_lanes() -> None:
    parts = [Part(n, 0, "doc-1", n, n, 0, 1, None, None, 100) for n in range(1, 5)]
    one_lane = estimate_seconds(parts, 300, 2, 1_000, SLOW)
    assert one_lane == pytest.approx(4 * 2 * (400 / 100 + 100 / 10))  # output: at most the part's length
    two_lanes = Throughput(
        prompt_tokens_per_second=100.0, generate_tokens_per_second=10.0, parallel_requests=2
    )
    assert estimate_seconds(parts, 300, 2, 1_000, two_lanes) == pytest.approx(one_lane / 2)


def test_a_long_reading_narrows_to_the_matching_chunks(planned: Planned) -> None:
    whole = planned(TEXTS, SCHEMA, nothing, part_tokens=120, bounded=False, throughput=SLOW)
    settings = ExtractionSettings(part_tokens=120, max_seconds=200)
    narrowed = planned(TEXTS, SCHEMA, nothing, throughput=SLOW, settings=settings)
    assert len(narrowed._job.parts) < len(whole._job.parts) / 5
    assert any("A-1" in TEXTS[0][p.start : p.end] for p in narrowed._job.parts)


def test_a_reading_too_long_even_narrowed_is_refused_with_the_batch_api(planned: Planned) -> None:
    settings = ExtractionSettings(part_tokens=120, max_seconds=5)
    with pytest.raises(TooLarge) as refused:
        planned(TEXTS, SCHEMA, nothing, throughput=SLOW, settings=settings)
    assert "Batch API" in refused.value.message and "5 s" in refused.value.message
    unbounded = planned(TEXTS, SCHEMA, nothing, throughput=SLOW, settings=settings, bounded=False)
    assert len(unbounded._job.parts) > 10  # read whole
