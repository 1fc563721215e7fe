"""Each cached doc_url document's lexical retrieval index, as a blob.

Revision ID: 0005_remote_document_index
Revises: 0004_file_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_remote_document_index"
down_revision = "0004_file_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows cached before this revision have none; their index is built when read.
    op.add_column("remote_documents", sa.Column("index_sha256", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("remote_documents") as batch:
        batch.drop_column("index_sha256")
