"""Backend kinds by name, and the named backends the settings ask for.

A factory takes the backend's own settings section and the whole inference section (for shared
things such as the model cache) and returns a backend without loading any model: loading waits
for first use or an explicit ``load()``. Built-in kinds are named as ``module:function`` so their
heavy modules are imported only when that kind is used. Tests register fakes here too, through
the same ``BackendRegistry`` the app uses.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from longdoc.config import InferenceSettings
from longdoc.inference.base import InferenceBackend, Throughput
from longdoc.inference.json_guard import SchemaValidatingBackend
from longdoc.inference.supervised import SupervisedBackend

BackendFactory = Callable[[Any, InferenceSettings], InferenceBackend]

BUILTIN_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "llama_cpp": "longdoc.inference.embedded:llama_cpp_from_settings",
        "openai": "longdoc.inference.upstream:openai_from_settings",
        "fake": "longdoc.inference.registry:fake_from_settings",
    }
)


def fake_from_settings(spec: Any, settings: InferenceSettings) -> InferenceBackend:
    from longdoc.inference.fake import FakeBackend

    return FakeBackend(
        spec.replies, context_window=spec.context_window, seconds_per_token=spec.seconds_per_token
    )


def plan_with(backend: InferenceBackend, spec: Any) -> None:
    """Give ``backend`` the prompt budget and throughput its settings declare (for the context engine)."""
    backend.prompt_budget_tokens = getattr(spec, "prompt_budget_tokens", None)
    defaults = Throughput()
    backend.throughput = Throughput(
        prompt_tokens_per_second=getattr(spec, "prompt_tokens_per_second", defaults.prompt_tokens_per_second),
        generate_tokens_per_second=getattr(
            spec, "generate_tokens_per_second", defaults.generate_tokens_per_second
        ),
        parallel_requests=getattr(spec, "parallel_requests", defaults.parallel_requests),
    )


class BackendRegistry:
    """Kind name → factory. Build one per app; ``register`` adds or replaces a kind."""

    def __init__(self, factories: Mapping[str, BackendFactory | str] = BUILTIN_KINDS) -> None:
        self._factories: dict[str, BackendFactory | str] = dict(factories)

    def register(self, kind: str, factory: BackendFactory) -> None:
        self._factories[kind] = factory

    def kinds(self) -> list[str]:
        return sorted(self._factories)

    def factory(self, kind: str) -> BackendFactory:
        target = self._factories.get(kind)
        if target is None:
            raise ValueError(
                f"unknown inference backend kind {kind!r}; known kinds: {', '.join(self.kinds())}"
            )
        if isinstance(target, str):
            module_name, attribute = target.split(":")
            resolved: BackendFactory = getattr(importlib.import_module(module_name), attribute)
            return resolved
        return target

    def create(self, spec: Any, settings: InferenceSettings) -> InferenceBackend:
        """One backend from its settings section, in a supervised child process where it asks to be
        isolated (the child builds it from the same settings); JSON-schema requests are always honoured."""
        backend = self.factory(spec.kind)(spec, settings)
        if getattr(spec, "isolated", False):
            backend = SupervisedBackend(
                backend,
                {"spec": spec.model_dump(mode="json"), "settings": settings.model_dump(mode="json")},
                max_waiting=getattr(spec, "max_waiting", 8),
                max_wait_seconds=getattr(spec, "max_wait_seconds", 120.0),
            )
        plan_with(backend, spec)
        if not backend.supports_json_schema:
            backend = SchemaValidatingBackend(backend, retries=settings.json_retries)
        return backend

    def build(self, settings: InferenceSettings) -> dict[str, InferenceBackend]:
        """Every backend the settings name, by name. Unknown kinds fail here, at start-up."""
        for spec in settings.backends.values():
            self.factory(spec.kind)
        return {name: self.create(spec, settings) for name, spec in settings.backends.items()}
