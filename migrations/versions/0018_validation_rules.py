"""Validation rules of a framework (read below its owner, like its indicators), the units'
explanations of the rules their reports break, validation runs and the notices they sent;
under row-level security.

Revision ID: 0018_validation_rules
Revises: 0017_consolidation_narrative
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

from tenants.rls import drop_policy_sql, policy_sql_for, shared_down_policy_sql

revision = "0018_validation_rules"
down_revision = "0017_consolidation_narrative"
branch_labels = None
depends_on = None

TENANT_TABLES = ["violation_explanation", "validation_run", "validation_notice"]


def _fk(table, column, target, ondelete=None):
    return sa.ForeignKeyConstraint([column], [target], ondelete=ondelete,
                                   name=op.f(f"fk_{table}_{column}_{target.split('.')[0]}"))


def upgrade():
    op.create_table(
        "validation_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("left", sa.String(500), nullable=False),
        sa.Column("operator", sa.String(10), nullable=False),
        sa.Column("right", sa.String(500), nullable=False),
        sa.Column("left_missing", sa.String(12), nullable=False),
        sa.Column("right_missing", sa.String(12), nullable=False),
        sa.Column("importance", sa.String(8), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        _fk("validation_rule", "framework_id", "framework.id", "CASCADE"),
        _fk("validation_rule", "owner_unit_id", "unit.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_validation_rule")),
    )
    op.create_table(
        "violation_explanation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _fk("violation_explanation", "report_id", "unit_report.id", "CASCADE"),
        _fk("violation_explanation", "unit_id", "unit.id"),
        _fk("violation_explanation", "rule_id", "validation_rule.id", "CASCADE"),
        _fk("violation_explanation", "user_id", "user_account.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violation_explanation")),
        sa.UniqueConstraint("report_id", "rule_id", name="uq_violation_explanation"),
    )
    op.create_table(
        "validation_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reports_checked", sa.Integer(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("notified", sa.Integer(), nullable=False),
        _fk("validation_run", "unit_id", "unit.id"),
        _fk("validation_run", "period_id", "reporting_period.id", "CASCADE"),
        _fk("validation_run", "started_by_id", "user_account.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_validation_run")),
    )
    op.create_table(
        "validation_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _fk("validation_notice", "unit_id", "unit.id"),
        _fk("validation_notice", "rule_id", "validation_rule.id", "CASCADE"),
        _fk("validation_notice", "period_id", "reporting_period.id", "CASCADE"),
        _fk("validation_notice", "run_id", "validation_run.id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_validation_notice")),
        sa.UniqueConstraint("unit_id", "rule_id", "period_id", name="uq_validation_notice"),
    )
    for table, column in (("validation_rule", "framework_id"),
                          ("validation_rule", "owner_unit_id"),
                          ("violation_explanation", "report_id"),
                          ("violation_explanation", "unit_id"),
                          ("validation_run", "unit_id"), ("validation_notice", "unit_id")):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in shared_down_policy_sql("validation_rule"):
            op.execute(statement)
        for table in TENANT_TABLES:
            for statement in policy_sql_for(table):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            for statement in drop_policy_sql(table, [f"{table}_tenant"]):
                op.execute(statement)
        for statement in drop_policy_sql("validation_rule", [
                f"validation_rule_{p}" for p in ("read", "insert", "update", "delete")]):
            op.execute(statement)
    for table in ("validation_notice", "validation_run", "violation_explanation",
                  "validation_rule"):
        op.drop_table(table)
