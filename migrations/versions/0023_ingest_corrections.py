"""The automatic corrections a scan's reading made (outline labels restored from their
sequence, the number read through damage, names given back their diacritics), kept on
the ingest row for the review screen: each with its page, kind, before, after and a
message (issue 19, item 4).

Revision ID: 0023_ingest_corrections
Revises: 0028_tenant_keys
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0023_ingest_corrections"
down_revision = "0028_tenant_keys"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("document_ingest", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrections", sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))


def downgrade():
    with op.batch_alter_table("document_ingest", schema=None) as batch_op:
        batch_op.drop_column("corrections")
