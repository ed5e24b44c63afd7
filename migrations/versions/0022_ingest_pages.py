"""Page images of the document a framework version was read from (a scan or a PDF), with
the OCR's confidence per page, and on each outline node the page and line box it was read
from; ``document_page`` is read below the framework's owner like the outline, under
row-level security.

Revision ID: 0022_ingest_pages
Revises: 0030_validation_run_status
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

from tenants.rls import drop_policy_sql, shared_down_policy_sql

revision = "0022_ingest_pages"
down_revision = "0030_validation_run_status"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "document_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["framework_version.id"], ondelete="CASCADE",
                                name=op.f("fk_document_page_version_id_framework_version")),
        sa.ForeignKeyConstraint(["owner_unit_id"], ["unit.id"],
                                name=op.f("fk_document_page_owner_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_page")),
        sa.UniqueConstraint("version_id", "number", name="uq_document_page_number"),
    )
    with op.batch_alter_table("document_page", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_page_version_id"), ["version_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_document_page_owner_unit_id"), ["owner_unit_id"],
                              unique=False)
    with op.batch_alter_table("framework_node", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("box", sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        for statement in shared_down_policy_sql("document_page"):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in drop_policy_sql("document_page", [
                f"document_page_{p}" for p in ("read", "insert", "update", "delete")]):
            op.execute(statement)
    with op.batch_alter_table("framework_node", schema=None) as batch_op:
        batch_op.drop_column("box")
        batch_op.drop_column("page")
    with op.batch_alter_table("document_page", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_page_owner_unit_id"))
        batch_op.drop_index(batch_op.f("ix_document_page_version_id"))
    op.drop_table("document_page")
