"""doc_url documents: fetched and parsed once per URL and parsing strategy.

Revision ID: 0002_remote_documents
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_remote_documents"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "remote_documents",
        sa.Column("url_sha256", sa.String(64), primary_key=True),
        sa.Column("strategy", sa.String(16), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("filename", sa.String(1024), nullable=False),
        sa.Column("etag", sa.String(1024)),
        sa.Column("last_modified", sa.String(128)),
        sa.Column("fresh_until", sa.Float, nullable=False),
        sa.Column("fetched_at", sa.Float, nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("parsed_sha256", sa.String(64), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("tokens", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("remote_documents")
