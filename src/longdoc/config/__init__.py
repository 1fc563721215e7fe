"""Settings: one object, every field documented.

Read from the environment (``LONGDOC_*``; nested sections with ``__``, e.g.
``LONGDOC_PARSING__OCR_ENGINE``), from an optional TOML file (``longdoc.toml`` in the working
directory, or ``--config FILE``), and from defaults that serve one machine with nothing else
installed: SQLite and a data folder, in-process workers, the embedded model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from longdoc.config.inference import (
    BackendSettings,
    FakeBackendSettings,
    InferenceSettings,
    LlamaCppBackendSettings,
    ModelEntrySettings,
    OpenAIBackendSettings,
)
from longdoc.config.sections import (
    GB,
    MB,
    AccountRateLimits,
    BatchSettings,
    ContextSettings,
    ExtractionSettings,
    FetchSettings,
    JobSettings,
    LimitSettings,
    ParsingSettings,
    RateLimitSettings,
    S3Settings,
    ServerSettings,
    StorageSettings,
)

__all__ = [
    "GB",
    "MB",
    "AccountRateLimits",
    "BackendSettings",
    "BatchSettings",
    "ContextSettings",
    "ExtractionSettings",
    "FakeBackendSettings",
    "FetchSettings",
    "InferenceSettings",
    "JobSettings",
    "LimitSettings",
    "LlamaCppBackendSettings",
    "ModelEntrySettings",
    "OpenAIBackendSettings",
    "ParsingSettings",
    "RateLimitSettings",
    "S3Settings",
    "ServerSettings",
    "Settings",
    "StorageSettings",
    "load_settings",
]


class Settings(BaseSettings):
    """Everything longdoc can be told. ``kind`` fields pick implementations by name."""

    model_config = SettingsConfigDict(
        env_prefix="LONGDOC_", env_nested_delimiter="__", toml_file="longdoc.toml", extra="forbid"
    )

    data_dir: Path = Field(
        default=Path("longdoc-data"), description="Folder for the SQLite database and blobs."
    )
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
