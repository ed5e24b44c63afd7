"""The consolidated narrative the consolidator edits before export: one row per
consolidation, three sections each with its own version, apart from the immutable
snapshot; under row-level security like the consolidation it belongs to.

Revision ID: 0017_consolidation_narrative
Revises: 0013_indicator_targets
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

from tenants.rls import drop_policy_sql, policy_sql_for

revision = "0017_consolidation_narrative"
down_revision = "0016_manual_reminders"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "consolidation_narrative",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consolidation_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("results", sa.Text(), nullable=False),
        sa.Column("difficulties", sa.Text(), nullable=False),
        sa.Column("proposals", sa.Text(), nullable=False),
        sa.Column("section_versions", sa.JSON(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saves", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["consolidation_id"], ["consolidation.id"],
                                name=op.f("fk_consolidation_narrative_consolidation_id_consolidation"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"],
                                name=op.f("fk_consolidation_narrative_unit_id_unit")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"],
                                name=op.f("fk_consolidation_narrative_updated_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consolidation_narrative")),
        sa.UniqueConstraint("consolidation_id",
                            name=op.f("uq_consolidation_narrative_consolidation_id")),
    )
    with op.batch_alter_table("consolidation_narrative", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consolidation_narrative_unit_id"), ["unit_id"],
                              unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in policy_sql_for("consolidation_narrative"):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in drop_policy_sql("consolidation_narrative",
                                         ["consolidation_narrative_tenant"]):
            op.execute(statement)
    with op.batch_alter_table("consolidation_narrative", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consolidation_narrative_unit_id"))
    op.drop_table("consolidation_narrative")
