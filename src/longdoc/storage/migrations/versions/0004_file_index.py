"""Each processed file's lexical retrieval index, as a blob.

Revision ID: 0004_file_index
Revises: 0003_batches_usage
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_file_index"
down_revision = "0003_batches_usage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Files processed before this revision have none; their index is built when first read.
    op.add_column("files", sa.Column("index_sha256", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("files") as batch:
        batch.drop_column("index_sha256")
