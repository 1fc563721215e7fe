"""Settings: one object, every field documented.

Read from the environment (``LONGDOC_*``; nested sections with ``__``, e.g.
``LONGDOC_PARSING__OCR_ENGINE``), from an optional TOML file (``longdoc.toml`` in the working
directory, or ``--config FILE``), and from defaults that serve one machine with nothing else
installed: SQLite and a data folder, in-process workers, the embedded model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
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
    memory_mb: int = Field(default=3072, description="Address-space limit of a parse child process (MiB).")
    cpu_seconds: int = Field(default=600, description="CPU-time limit of a parse child process.")
    wall_seconds: int = Field(default=900, description="Wall-clock limit of one parse.")
    zip_max_bytes: int = Field(
        default=2 * GB, description="Largest total uncompressed size of a zip-based document (DOCX, XLSX, EPUB…)."
    )
    zip_max_ratio: int = Field(default=200, description="Largest compression ratio of a zip-based document.")
    image_max_pixels: int = Field(default=100_000_000, description="Largest image (pixels) decoded for OCR.")
    ocr_dpi: int = Field(default=200, description="Resolution at which PDF pages are rendered for OCR.")
    libreoffice: str = Field(
        default="soffice", description="LibreOffice executable used for DOC, PPT and XLS."
    )


class JobSettings(BaseModel):
    lease_seconds: float = Field(default=60.0, description="How long a claimed job is held before others may take it.")
    poll_seconds: float = Field(default=0.5, description="How often an idle worker looks for work.")
    max_attempts: int = Field(default=3, description="Attempts before a job is marked failed.")
    backoff_seconds: float = Field(default=2.0, description="First retry delay; doubles on each attempt.")


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
