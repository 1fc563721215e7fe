"""The model catalog: built-in names, operator entries, unknown names."""

from __future__ import annotations

import pytest

from longdoc.config import InferenceSettings, ModelEntrySettings, OpenAIBackendSettings, Settings
from longdoc.core.errors import ModelNotFound
from longdoc.inference.catalog import Catalog


def test_builtin_names_default_to_the_embedded_backend() -> None:
    catalog = Catalog.from_settings(InferenceSettings())
    names = [entry.name for entry in catalog.list()]
    assert names == ["qwen-long", "qwen-long-latest", "qwen-long-2025-01-25", "qwen-doc-turbo"]
    assert {entry.backend for entry in catalog.list()} == {"embedded"}
    long, turbo = catalog.get("qwen-long-latest"), catalog.get("qwen-doc-turbo")
    assert (long.context_window, long.max_files, long.max_plain_text_tokens) == (10_000_000, 100, 1_000_000)
    assert (long.free_quota_tokens, long.free_quota_days, long.currency) == (1_000_000, 90, "CNY")
    assert (turbo.context_window, turbo.max_input_tokens, turbo.max_files) == (262_144, 253_952, 1)
    assert (turbo.max_plain_text_tokens, turbo.extraction, turbo.currency) == (9_000, True, "USD")
    assert long.max_output_tokens == turbo.max_output_tokens == 32_768
    assert long.price(1_000_000, 1_000_000) == pytest.approx(2.5)
    assert turbo.price(2_000_000, 0) == pytest.approx(0.174)


def test_unknown_model_is_model_not_found_never_a_default() -> None:
    with pytest.raises(ModelNotFound) as caught:
        Catalog.from_settings(InferenceSettings()).get("gpt-4o")
    assert caught.value.message == "The model `gpt-4o` does not exist or you do not have access to it."
    assert caught.value.param == "model" and caught.value.status == 404


def test_operator_adds_and_replaces_names() -> None:
    settings = InferenceSettings(
        backends={
            "embedded": {"kind": "fake"},
            "gpu": OpenAIBackendSettings(base_url="http://127.0.0.1:9/v1", model="Qwen2.5-72B"),
        },
        models=[
            ModelEntrySettings(name="qwen-long", backend="gpu"),
            ModelEntrySettings(name="house-model", max_files=3),
        ],
    )
    catalog = Catalog.from_settings(settings)
    assert catalog.get("qwen-long").backend == "gpu"
    assert catalog.get("qwen-long-latest").backend == "embedded"
    assert catalog.get("house-model").backend == "embedded"
    assert catalog.get("house-model").max_files == 3
    assert "house-model" in catalog


def test_entries_come_from_env_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "LONGDOC_INFERENCE__BACKENDS",
        '{"embedded": {"kind": "llama_cpp"}, "up": {"kind": "openai", "base_url": "http://h/v1", "model": "m"}}',
    )
    monkeypatch.setenv(
        "LONGDOC_INFERENCE__MODELS", '[{"name": "doc-x", "backend": "up", "extraction": true}]'
    )
    catalog = Catalog.from_settings(Settings().inference)
    assert catalog.get("doc-x").backend == "up" and catalog.get("doc-x").extraction


def test_an_entry_naming_an_unknown_backend_fails_at_start_up() -> None:
    with pytest.raises(ValueError, match="unknown inference backend 'gpu'; configured backends: embedded"):
        InferenceSettings(models=[ModelEntrySettings(name="x", backend="gpu")])
