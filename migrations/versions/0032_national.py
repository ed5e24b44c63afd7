"""Indicators mapped across plans: how each indicator of a province's framework version
feeds the national plan it implements (issue 21), under row-level security like every
tenant table (the province framework's owner's; the ministry above reads it).

Revision ID: 0032_national
Revises: 0025_document_signing
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

from tenants.rls import drop_policy_sql, policy_sql_for

revision = "0032_national"
down_revision = "0031_signing_flow"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "indicator_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("national_indicator_id", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("factor", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"],
                                name=op.f("fk_indicator_mapping_unit_id_unit")),
        sa.ForeignKeyConstraint(["version_id"], ["framework_version.id"], ondelete="CASCADE",
                                name=op.f("fk_indicator_mapping_version_id_framework_version")),
        sa.ForeignKeyConstraint(["indicator_id"], ["indicator.id"], ondelete="CASCADE",
                                name=op.f("fk_indicator_mapping_indicator_id_indicator")),
        sa.ForeignKeyConstraint(["national_indicator_id"], ["indicator.id"],
                                ondelete="CASCADE",
                                name=op.f("fk_indicator_mapping_national_indicator_id_indicator")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_mapping")),
        sa.UniqueConstraint("indicator_id", name="uq_indicator_mapping_indicator"),
    )
    with op.batch_alter_table("indicator_mapping", schema=None) as batch_op:
        for column in ("unit_id", "version_id", "national_indicator_id"):
            batch_op.create_index(batch_op.f(f"ix_indicator_mapping_{column}"), [column],
                                  unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in policy_sql_for("indicator_mapping"):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in drop_policy_sql("indicator_mapping", ["indicator_mapping_tenant"]):
            op.execute(statement)
    with op.batch_alter_table("indicator_mapping", schema=None) as batch_op:
        for column in ("national_indicator_id", "version_id", "unit_id"):
            batch_op.drop_index(batch_op.f(f"ix_indicator_mapping_{column}"))
    op.drop_table("indicator_mapping")
