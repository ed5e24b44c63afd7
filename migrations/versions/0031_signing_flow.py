"""The office flow of a document of record (issue 20): the signer approves, the clerk
issues with the register's number and date; who did each and when.

Revision ID: 0031_signing_flow
Revises: 0025_document_signing
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0031_signing_flow"
down_revision = "0025_document_signing"
branch_labels = None
depends_on = None

USERS = (("approved_by_id", "fk_document_record_approved_by_id_user_account"),
         ("numbered_by_id", "fk_document_record_numbered_by_id_user_account"))


def upgrade():
    with op.batch_alter_table("document_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("approved_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("numbered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("numbered_by_id", sa.Integer(), nullable=True))
        for column, name in USERS:
            batch_op.create_foreign_key(name, "user_account", [column], ["id"])


def downgrade():
    with op.batch_alter_table("document_record", schema=None) as batch_op:
        for column, name in USERS:
            batch_op.drop_constraint(name, type_="foreignkey")
            batch_op.drop_column(column)
        batch_op.drop_column("approved_at")
        batch_op.drop_column("numbered_at")
