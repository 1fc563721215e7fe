"""Identifiers in the shapes the services use."""

from __future__ import annotations

import secrets
import uuid


def document_file_id() -> str:
    return "file-fe-" + secrets.token_hex(12)


def batch_file_id() -> str:
    return "file-batch-" + secrets.token_hex(12)


def batch_output_file_id() -> str:
    return "file-batch_output-" + secrets.token_hex(12)


def batch_id() -> str:
    return f"batch_{uuid.uuid4()}"


def request_id() -> str:
    return str(uuid.uuid4())


def api_key() -> str:
    return "sk-" + secrets.token_hex(24)
