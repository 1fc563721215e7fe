"""Services whose embedded model is a given fake, for logic tests through the real app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from longdoc.config import Settings
from longdoc.inference.fake import FakeBackend
from longdoc.services import Services, build_services


@contextmanager
def services_with_model(
    model: FakeBackend, tmp_path: Path, database_url: str, prompt_budget_tokens: int
) -> Iterator[Services]:
    backend = {"kind": "fake", "context_window": 8_192, "prompt_budget_tokens": prompt_budget_tokens}
    settings = Settings(
        data_dir=tmp_path / "data",
        storage={"database_url": database_url},
        inference={"backends": {"embedded": backend}},
    )
    built = build_services(settings)
    built.backends["embedded"] = model  # the chat engine serves from this same mapping
    try:
        yield built
    finally:
        built.close()
