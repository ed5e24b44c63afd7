"""Documents of record and their digital signatures: the PDF of record of a plan, a
report or a consolidated report with the hashes of it and of its signed versions, and the
signature and seal images; both under row-level security like every tenant table.

Revision ID: 0025_document_signing
Revises: 0026_demo_history
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

from tenants.rls import drop_policy_sql, policy_sql_for

revision = "0025_document_signing"
down_revision = "0026_demo_history"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "document_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("doc_number", sa.String(length=60), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("attachment", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("job_id", sa.String(length=80), nullable=False),
        sa.Column("pdf_key", sa.String(length=40), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf_size", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("layout", sa.JSON(), nullable=False),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_key", sa.String(length=40), nullable=True),
        sa.Column("signed_sha256", sa.String(length=64), nullable=True),
        sa.Column("signed_size", sa.Integer(), nullable=False),
        sa.Column("signer_subject", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_key", sa.String(length=40), nullable=True),
        sa.Column("issued_sha256", sa.String(length=64), nullable=True),
        sa.Column("organisation_subject", sa.Text(), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sealed_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"],
                                name=op.f("fk_document_record_unit_id_unit")),
        sa.ForeignKeyConstraint(["signed_by_id"], ["user_account.id"],
                                name=op.f("fk_document_record_signed_by_id_user_account")),
        sa.ForeignKeyConstraint(["sealed_by_id"], ["user_account.id"],
                                name=op.f("fk_document_record_sealed_by_id_user_account")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user_account.id"],
                                name=op.f("fk_document_record_requested_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_record")),
        sa.UniqueConstraint("kind", "object_id", name="uq_document_record_object"),
    )
    with op.batch_alter_table("document_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_record_unit_id"), ["unit_id"],
                              unique=False)
    op.create_table(
        "signing_image",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"],
                                name=op.f("fk_signing_image_unit_id_unit")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE",
                                name=op.f("fk_signing_image_user_id_user_account")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user_account.id"],
                                name=op.f("fk_signing_image_uploaded_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_image")),
        sa.UniqueConstraint("unit_id", "kind", "user_id", name="uq_signing_image_owner"),
    )
    with op.batch_alter_table("signing_image", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signing_image_unit_id"), ["unit_id"],
                              unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table in ("document_record", "signing_image"):
            for statement in policy_sql_for(table):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in ("document_record", "signing_image"):
            for statement in drop_policy_sql(table, [f"{table}_tenant"]):
                op.execute(statement)
    for table in ("signing_image", "document_record"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_unit_id"))
        op.drop_table(table)
