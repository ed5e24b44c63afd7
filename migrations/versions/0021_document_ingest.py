"""Scanned plans read by OCR in a background job: one row per upload, with its progress
(the page being read), the per-page confidence and the framework it became; under
row-level security like every tenant table.

Revision ID: 0021_document_ingest
Revises: 0017_consolidation_narrative
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

from tenants.rls import drop_policy_sql, policy_sql_for

revision = "0021_document_ingest"
down_revision = "0020_progress"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "document_ingest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("job_id", sa.String(length=80), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"],
                                name=op.f("fk_document_ingest_unit_id_unit")),
        sa.ForeignKeyConstraint(["parent_id"], ["framework.id"],
                                name=op.f("fk_document_ingest_parent_id_framework")),
        sa.ForeignKeyConstraint(["framework_id"], ["framework.id"],
                                name=op.f("fk_document_ingest_framework_id_framework")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user_account.id"],
                                name=op.f("fk_document_ingest_requested_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_ingest")),
    )
    with op.batch_alter_table("document_ingest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_ingest_unit_id"), ["unit_id"],
                              unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in policy_sql_for("document_ingest"):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in drop_policy_sql("document_ingest", ["document_ingest_tenant"]):
            op.execute(statement)
    with op.batch_alter_table("document_ingest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_ingest_unit_id"))
    op.drop_table("document_ingest")
