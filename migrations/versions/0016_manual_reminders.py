"""Reminders sent by hand: a reviewer reminds the units below that have not reported; the
record of who reminded which units when (issue 16).

Revision ID: 0016_manual_reminders
Revises: 0013_indicator_targets
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

from tenants.rls import drop_policy_sql, policy_sql_for

revision = "0016_manual_reminders"
down_revision = "0015_workflow_notices"
branch_labels = None
depends_on = None

TABLES = ("manual_reminder", "manual_reminder_unit")


def upgrade():
    op.create_table('manual_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_manual_reminder_unit_id_unit')),
    sa.ForeignKeyConstraint(['period_id'], ['reporting_period.id'], name=op.f('fk_manual_reminder_period_id_reporting_period'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['user_account.id'], name=op.f('fk_manual_reminder_sent_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manual_reminder')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_manual_reminder_idempotency_key'))
    )
    with op.batch_alter_table('manual_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manual_reminder_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_manual_reminder_period_id'), ['period_id'], unique=False)

    op.create_table('manual_reminder_unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reminder_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['reminder_id'], ['manual_reminder.id'], name=op.f('fk_manual_reminder_unit_reminder_id_manual_reminder'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_manual_reminder_unit_unit_id_unit')),
    sa.ForeignKeyConstraint(['period_id'], ['reporting_period.id'], name=op.f('fk_manual_reminder_unit_period_id_reporting_period'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manual_reminder_unit'))
    )
    with op.batch_alter_table('manual_reminder_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manual_reminder_unit_reminder_id'), ['reminder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_manual_reminder_unit_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_manual_reminder_unit_period_id'), ['period_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for statement in policy_sql_for(table):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in reversed(TABLES):
            for statement in drop_policy_sql(table, [f"{table}_tenant"]):
                op.execute(statement)
    op.drop_table('manual_reminder_unit')
    op.drop_table('manual_reminder')
