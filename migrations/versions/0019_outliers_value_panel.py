"""Outliers and the value panel: the framework owner's outlier rules (bounds and a
year-over-year factor per indicator and unit kind), the follow-up mark of a value and the
comment thread between a unit and its reviewer; under row-level security (the rules shared
down the tree like the framework they belong to).

Revision ID: 0019_outliers_value_panel
Revises: 0017_consolidation_narrative
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

from tenants.rls import drop_policy_sql, policy_sql_for, shared_down_policy_sql

revision = "0019_outliers_value_panel"
down_revision = "0018_validation_rules"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outlier_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("indicator_code", sa.String(length=40), nullable=False),
        sa.Column("unit_kind", sa.String(length=12), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("low", sa.Numeric(20, 4), nullable=True),
        sa.Column("high", sa.Numeric(20, 4), nullable=True),
        sa.Column("k", sa.Numeric(6, 2), nullable=False),
        sa.Column("min_units", sa.Integer(), nullable=False),
        sa.Column("basis_year", sa.Integer(), nullable=True),
        sa.Column("basis_units", sa.Integer(), nullable=True),
        sa.Column("basis_median", sa.Numeric(20, 4), nullable=True),
        sa.Column("basis_mad", sa.Numeric(20, 4), nullable=True),
        sa.Column("yoy_factor", sa.Numeric(8, 2), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["framework_id"], ["framework.id"],
                                name=op.f("fk_outlier_rule_framework_id_framework"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_unit_id"], ["unit.id"],
                                name=op.f("fk_outlier_rule_owner_unit_id_unit")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"],
                                name=op.f("fk_outlier_rule_updated_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outlier_rule")),
        sa.UniqueConstraint("framework_id", "indicator_code", "unit_kind",
                            name="uq_outlier_rule"),
    )
    op.create_table(
        "value_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["value_id"], ["report_value.id"],
                                name=op.f("fk_value_follow_up_value_id_report_value"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"],
                                name=op.f("fk_value_follow_up_unit_id_unit")),
        sa.ForeignKeyConstraint(["set_by_id"], ["user_account.id"],
                                name=op.f("fk_value_follow_up_set_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_value_follow_up")),
        sa.UniqueConstraint("value_id", name=op.f("uq_value_follow_up_value_id")),
    )
    op.create_table(
        "value_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["value_id"], ["report_value.id"],
                                name=op.f("fk_value_comment_value_id_report_value"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"],
                                name=op.f("fk_value_comment_unit_id_unit")),
        sa.ForeignKeyConstraint(["author_id"], ["user_account.id"],
                                name=op.f("fk_value_comment_author_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_value_comment")),
    )
    with op.batch_alter_table("outlier_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outlier_rule_framework_id"), ["framework_id"])
        batch_op.create_index(batch_op.f("ix_outlier_rule_owner_unit_id"), ["owner_unit_id"])
    with op.batch_alter_table("value_follow_up", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_value_follow_up_unit_id"), ["unit_id"])
    with op.batch_alter_table("value_comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_value_comment_value_id"), ["value_id"])
        batch_op.create_index(batch_op.f("ix_value_comment_unit_id"), ["unit_id"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in [*shared_down_policy_sql("outlier_rule"),
                          *policy_sql_for("value_follow_up"),
                          *policy_sql_for("value_comment")]:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in [
                *drop_policy_sql("value_comment", ["value_comment_tenant"]),
                *drop_policy_sql("value_follow_up", ["value_follow_up_tenant"]),
                *drop_policy_sql("outlier_rule", [f"outlier_rule_{c}" for c in (
                    "read", "insert", "update", "delete")])]:
            op.execute(statement)
    op.drop_table("value_comment")
    op.drop_table("value_follow_up")
    op.drop_table("outlier_rule")
