"""A validation run is a background job: its state (queued, running, done, failed) and the
message of a failure. Runs kept before this migration were finished in the request: done.

Revision ID: 0030_validation_run_status
Revises: 0021_document_ingest
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0030_validation_run_status"
down_revision = "0021_document_ingest"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("validation_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=10), nullable=False,
                                      server_default="done"))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("validation_run", schema=None) as batch_op:
        batch_op.drop_column("error")
        batch_op.drop_column("status")
