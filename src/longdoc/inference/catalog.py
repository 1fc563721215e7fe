"""The model catalog: public model names → the backend that serves them, their limits and prices.

The built-in names copy Alibaba Model Studio's published limits and prices for Qwen-Long and
Qwen-Doc-Turbo; they are served by ``inference.default_backend``. Operators add names, or replace
built-in ones, with ``inference.models``. An unknown name is ``ModelNotFound``, never a default.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace

from longdoc.config import InferenceSettings
from longdoc.core.errors import ModelNotFound


@dataclass(frozen=True)
class ModelEntry:
    name: str
    backend: str
    context_window: int
    max_input_tokens: int
    max_output_tokens: int
    max_files: int
    max_plain_text_tokens: int
    max_user_message_tokens: int  # with a document present
    extraction: bool
    price_input_per_million: float
    price_output_per_million: float
    currency: str
    free_quota_tokens: int
    free_quota_days: int

    def price(self, input_tokens: int, output_tokens: int) -> float:
        """What these tokens cost at list price, in ``currency``."""
        return (
            input_tokens * self.price_input_per_million + output_tokens * self.price_output_per_million
        ) / 1_000_000


QWEN_LONG_NAMES = ("qwen-long", "qwen-long-latest", "qwen-long-2025-01-25")


def builtin_entries(backend: str) -> list[ModelEntry]:
    qwen_long = ModelEntry(
        name="qwen-long",
        backend=backend,
        context_window=10_000_000,
        max_input_tokens=10_000_000,
        max_output_tokens=32_768,
        max_files=100,
        max_plain_text_tokens=1_000_000,
        max_user_message_tokens=9_000,
        extraction=False,
        price_input_per_million=0.5,
        price_output_per_million=2.0,
        currency="CNY",
        free_quota_tokens=1_000_000,
        free_quota_days=90,
    )
    doc_turbo = ModelEntry(
        name="qwen-doc-turbo",
        backend=backend,
        context_window=262_144,
        max_input_tokens=253_952,
        max_output_tokens=32_768,
        max_files=1,
        max_plain_text_tokens=9_000,
        max_user_message_tokens=9_000,
        extraction=True,
        price_input_per_million=0.087,
        price_output_per_million=0.144,
        currency="USD",
        free_quota_tokens=0,
        free_quota_days=0,
    )
    return [*(replace(qwen_long, name=name) for name in QWEN_LONG_NAMES), doc_turbo]


class Catalog:
    def __init__(self, entries: Iterable[ModelEntry]) -> None:
        self._entries = {entry.name: entry for entry in entries}

    @classmethod
    def from_settings(cls, settings: InferenceSettings) -> Catalog:
        entries = {entry.name: entry for entry in builtin_entries(settings.default_backend)}
        for configured in settings.models:
            fields = configured.model_dump()
            fields["backend"] = configured.backend or settings.default_backend
            entries[configured.name] = ModelEntry(**fields)
        return cls(entries.values())

    def get(self, name: str) -> ModelEntry:
        entry = self._entries.get(name)
        if entry is None:
            # OpenAI's wording, which SDK users already know
            raise ModelNotFound(
                f"The model `{name}` does not exist or you do not have access to it.", param="model"
            )
        return entry

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def as_dicts(self) -> list[dict[str, object]]:
        return [asdict(entry) for entry in self._entries.values()]

    def list(self) -> builtins.list[ModelEntry]:
        return list(self._entries.values())
