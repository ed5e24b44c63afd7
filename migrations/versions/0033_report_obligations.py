"""Reporting obligations: who reports to whom under a framework, and each period's due
date for them; both read by every unit below the framework's owner, under row-level
security like the framework itself. Every framework with periods gets the default
obligation (its indicators' kinds, to its owner's DOST or the owner itself, by the
periods' own due dates), so existing figures keep their meaning.

Revision ID: 0033_report_obligations
Revises: 0025_document_signing
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

from tenants.rls import drop_policy_sql, shared_down_policy_sql

revision = "0033_report_obligations"
down_revision = "0032_national"
branch_labels = None
depends_on = None

TABLES = ("report_obligation", "report_obligation_due")


def upgrade():
    op.create_table(
        "report_obligation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reporter_kinds", sa.String(length=200), nullable=False),
        sa.Column("receiver_unit_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.ForeignKeyConstraint(["framework_id"], ["framework.id"], ondelete="CASCADE",
                                name=op.f("fk_report_obligation_framework_id_framework")),
        sa.ForeignKeyConstraint(["owner_unit_id"], ["unit.id"],
                                name=op.f("fk_report_obligation_owner_unit_id_unit")),
        sa.ForeignKeyConstraint(["receiver_unit_id"], ["unit.id"],
                                name=op.f("fk_report_obligation_receiver_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_obligation")),
    )
    op.create_table(
        "report_obligation_due",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("obligation_id", sa.Integer(), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["obligation_id"], ["report_obligation.id"], ondelete="CASCADE",
            name=op.f("fk_report_obligation_due_obligation_id_report_obligation")),
        sa.ForeignKeyConstraint(["owner_unit_id"], ["unit.id"],
                                name=op.f("fk_report_obligation_due_owner_unit_id_unit")),
        sa.ForeignKeyConstraint(
            ["period_id"], ["reporting_period.id"], ondelete="CASCADE",
            name=op.f("fk_report_obligation_due_period_id_reporting_period")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_obligation_due")),
        sa.UniqueConstraint("obligation_id", "period_id",
                            name="uq_report_obligation_due_period"),
    )
    for table, column in (("report_obligation", "framework_id"),
                          ("report_obligation", "owner_unit_id"),
                          ("report_obligation_due", "obligation_id"),
                          ("report_obligation_due", "owner_unit_id"),
                          ("report_obligation_due", "period_id")):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)
    # The default obligation of every framework that has periods: received by the
    # department of science and technology directly below the owner (code ending
    # ".SKHCN"), else by the owner itself.
    op.execute(sa.text(
        "INSERT INTO report_obligation (framework_id, owner_unit_id, name, reporter_kinds,"
        " receiver_unit_id, created_at)"
        " SELECT f.id, f.owner_unit_id, 'Báo cáo hằng năm', '',"
        " COALESCE((SELECT MIN(u.id) FROM unit u WHERE u.parent_id = f.owner_unit_id"
        "           AND u.code LIKE '%.SKHCN'), f.owner_unit_id), CURRENT_TIMESTAMP"
        " FROM framework f WHERE EXISTS"
        " (SELECT 1 FROM reporting_period p WHERE p.framework_id = f.id)"))
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for statement in shared_down_policy_sql(table):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for statement in drop_policy_sql(table, [
                    f"{table}_{p}" for p in ("read", "insert", "update", "delete")]):
                op.execute(statement)
    op.drop_table("report_obligation_due")
    op.drop_table("report_obligation")
