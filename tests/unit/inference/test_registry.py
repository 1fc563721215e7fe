"""Backends by kind: built-ins, registered fakes, unknown kinds."""

from __future__ import annotations

import pytest

from longdoc.config import FakeBackendSettings, InferenceSettings, Settings
from longdoc.inference.base import ChatMessage, GenerationParams
from longdoc.inference.fake import FakeBackend
from longdoc.inference.json_guard import SchemaValidatingBackend
from longdoc.inference.registry import BackendRegistry


def test_settings_build_named_backends_through_the_registry() -> None:
    settings = InferenceSettings(backends={"embedded": FakeBackendSettings(replies=["hello there"])})
    backends = BackendRegistry().build(settings)
    reply = backends["embedded"].complete([ChatMessage(role="user", content="hi")], GenerationParams())
    assert reply.text == "hello there"


def test_backends_without_schema_support_get_the_validating_wrapper() -> None:
    registry = BackendRegistry()
    registry.register("fake", lambda spec, settings: FakeBackend(["{}"], supports_json_schema=False))
    backend = registry.create(FakeBackendSettings(), InferenceSettings(json_retries=4))
    assert isinstance(backend, SchemaValidatingBackend)
    assert backend.retries == 4 and backend.supports_json_schema


def test_unknown_kind_lists_the_known_ones() -> None:
    registry = BackendRegistry()
    with pytest.raises(
        ValueError, match="unknown inference backend kind 'tgi'; known kinds: fake, llama_cpp, openai"
    ):
        registry.factory("tgi")


def test_unknown_kind_in_settings_fails_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LONGDOC_INFERENCE__BACKENDS", '{"embedded": {"kind": "tgi"}}')
    with pytest.raises(ValueError, match="'llama_cpp', 'openai', 'fake'"):
        Settings()


def test_building_the_default_settings_loads_no_model() -> None:
    # the embedded backend is built lazily: no weights are read until first use
    backends = BackendRegistry().build(InferenceSettings())
    assert backends["embedded"].supports_json_schema
    assert not getattr(backends["embedded"], "loaded", False)
