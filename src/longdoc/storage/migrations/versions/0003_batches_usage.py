"""Batches and their lines, the usage ledger, free quotas and rate-limit counters.

Revision ID: 0003_batches_usage
Revises: 0002_remote_documents
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_batches_usage"
down_revision = "0002_remote_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(64), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("key_id", sa.String(64)),
        sa.Column("endpoint", sa.String(200), nullable=False),
        sa.Column("input_file_id", sa.String(64), nullable=False),
        sa.Column("completion_window", sa.String(16), nullable=False),
        sa.Column("window_seconds", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("errors", sa.JSON),
        sa.Column("output_file_id", sa.String(64)),
        sa.Column("error_file_id", sa.String(64)),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        *(
            sa.Column(f"{state}_at", sa.BigInteger)
            for state in ("in_progress", "expires", "finalizing", "completed", "failed", "expired")
        ),
        sa.Column("cancelling_at", sa.BigInteger),
        sa.Column("cancelled_at", sa.BigInteger),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("completed", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("user_metadata", sa.JSON),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_batches_account_seq", "batches", ["account_id", "seq"])
    op.create_table(
        "batch_lines",
        sa.Column("batch_id", sa.String(64), sa.ForeignKey("batches.id"), primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("custom_id", sa.String(512), nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("result", sa.Text),
        sa.Column("finished_at", sa.Float),
    )
    op.create_index("ix_batch_lines_state", "batch_lines", ["batch_id", "state", "line_no"])
    op.create_table(
        "usage_records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(64)),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("batch_id", sa.String(64)),
        sa.Column("usage_key", sa.String(200), unique=True),
        sa.Column("input_tokens", sa.BigInteger, nullable=False),
        sa.Column("output_tokens", sa.BigInteger, nullable=False),
        sa.Column("cached_tokens", sa.BigInteger, nullable=False),
        sa.Column("free_tokens", sa.BigInteger, nullable=False),
        sa.Column("discount", sa.Float, nullable=False),
        sa.Column("list_pico", sa.BigInteger, nullable=False),
        sa.Column("cost_pico", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
    )
    op.create_index("ix_usage_account_created", "usage_records", ["account_id", "created_at"])
    op.create_table(
        "free_quotas",
        sa.Column("account_id", sa.String(64), primary_key=True),
        sa.Column("model", sa.String(200), primary_key=True),
        sa.Column("granted", sa.BigInteger, nullable=False),
        sa.Column("used", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_table(
        "rate_counters",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("window_start", sa.BigInteger, primary_key=True),
        sa.Column("hits", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("rate_counters", "free_quotas", "usage_records", "batch_lines", "batches"):
        op.drop_table(table)
