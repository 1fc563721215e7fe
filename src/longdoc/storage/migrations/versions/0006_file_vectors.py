"""Each processed file's dense vectors (opt-in ``context.dense``), as a blob.

Revision ID: 0006_file_vectors
Revises: 0005_remote_document_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_file_vectors"
down_revision = "0005_remote_document_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Null until the background embedding job stores the vectors (and for ever without the setting).
    op.add_column("files", sa.Column("vectors_sha256", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("files") as batch:
        batch.drop_column("vectors_sha256")
