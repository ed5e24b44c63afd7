"""The register of outgoing documents (Decree 30/2020/NĐ-CP Art. 15, 18): a counter per
issuing unit and year, one row per number taken, with what happened to its document
after issue and its paper scan; each unit's letters and electronic identifier (Decision
20/2020/QĐ-TTg). Both new tables under row-level security like every tenant table.

Revision ID: 0024_document_register
Revises: 0022_ingest_pages
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

from tenants.rls import drop_policy_sql, policy_sql_for

revision = "0024_document_register"
down_revision = "0022_ingest_pages"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("abbreviation", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("electronic_id", sa.String(length=35), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_unit_electronic_id"),
                                          ["electronic_id"])
    op.create_table(
        "register_counter",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.CheckConstraint("last_number >= 0", name=op.f("ck_register_counter_not_negative")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"],
                                name=op.f("fk_register_counter_unit_id_unit")),
        sa.PrimaryKeyConstraint("unit_id", "year", name=op.f("pk_register_counter")),
    )
    op.create_table(
        "register_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("notation", sa.String(length=60), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("document_type", sa.String(length=30), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("recall_reason", sa.Text(), nullable=False),
        sa.Column("recalled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recalled_by_id", sa.Integer(), nullable=True),
        sa.Column("signer_position", sa.String(length=200), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("page_amount", sa.Integer(), nullable=True),
        sa.Column("signed_copy", sa.String(length=10), nullable=True),
        sa.Column("scan_key", sa.String(length=64), nullable=True),
        sa.Column("scan_filename", sa.String(length=200), nullable=False),
        sa.Column("scan_content_type", sa.String(length=100), nullable=False),
        sa.Column("scan_size", sa.Integer(), nullable=True),
        sa.Column("scan_sha256", sa.String(length=64), nullable=False),
        sa.Column("scan_uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scan_uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.CheckConstraint("number > 0", name=op.f("ck_register_entry_number_positive")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"],
                                name=op.f("fk_register_entry_unit_id_unit")),
        sa.ForeignKeyConstraint(["replaces_id"], ["register_entry.id"],
                                name=op.f("fk_register_entry_replaces_id_register_entry")),
        sa.ForeignKeyConstraint(["corrects_id"], ["register_entry.id"],
                                name=op.f("fk_register_entry_corrects_id_register_entry")),
        sa.ForeignKeyConstraint(["recalled_by_id"], ["user_account.id"],
                                name=op.f("fk_register_entry_recalled_by_id_user_account")),
        sa.ForeignKeyConstraint(["scan_uploaded_by_id"], ["user_account.id"],
                                name=op.f("fk_register_entry_scan_uploaded_by_id_user_account")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_register_entry_created_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_entry")),
        sa.UniqueConstraint("unit_id", "year", "number", name="uq_register_entry_number"),
    )
    with op.batch_alter_table("register_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_register_entry_unit_id"), ["unit_id"],
                              unique=False)
        batch_op.create_index("ix_register_entry_document", ["document_type", "document_id"],
                              unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table in ("register_counter", "register_entry"):
            for statement in policy_sql_for(table):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in ("register_entry", "register_counter"):
            for statement in drop_policy_sql(table, [f"{table}_tenant"]):
                op.execute(statement)
    with op.batch_alter_table("register_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_register_entry_document")
        batch_op.drop_index(batch_op.f("ix_register_entry_unit_id"))
    op.drop_table("register_entry")
    op.drop_table("register_counter")
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_unit_electronic_id"), type_="unique")
        batch_op.drop_column("electronic_id")
        batch_op.drop_column("abbreviation")
