"""Notices of a report's workflow steps beside the reminders, and how each person gets
e-mail: each notice at once, one digest a day, or none.

A notification now has a kind (reminder | workflow); a workflow notice names its report
transition, once per person (unique user_id, transition_id) and has no reminder step.
The reminders' "never twice" (unique user_id, unit_id, period_id, step) is unchanged: a
workflow notice's step is NULL, and NULLs are distinct in a unique constraint in both
PostgreSQL and SQLite, so it never binds them. The table's row-level-security policy
(0007, 0008) is untouched: the columns change, the policy on unit_id stays.

``user_account.email_reminders`` becomes ``email_delivery``: today's "off" is "none",
"on" is "immediate" (reminders are a daily run either way).

Revision ID: 0015_workflow_notices
Revises: 0013_indicator_targets
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa

revision = "0015_workflow_notices"
down_revision = "0014_report_loop"
branch_labels = None
depends_on = None


def upgrade():
    # Nothing refers to notification: SQLite's batch copy of it is safe.
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), nullable=False,
                                      server_default='reminder'))
        batch_op.add_column(sa.Column('transition_id', sa.Integer(), nullable=True))
        batch_op.alter_column('step', existing_type=sa.String(length=10), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f('fk_notification_transition_id_report_transition'),
            'report_transition', ['transition_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_notification_transition_id'), ['transition_id'],
                              unique=False)
        batch_op.create_unique_constraint('uq_notification_transition',
                                          ['user_id', 'transition_id'])

    # user_account is referred to by many tables: columns are added and dropped in place
    # (ALTER TABLE; SQLite ≥ 3.35 drops a column), never by a batch copy (0013).
    op.add_column('user_account', sa.Column('email_delivery', sa.String(length=10),
                                            nullable=False, server_default='immediate'))
    op.execute(sa.text("UPDATE user_account SET email_delivery = 'none' "
                       "WHERE email_reminders = :off").bindparams(off=False))
    op.drop_column('user_account', 'email_reminders')


def downgrade():
    op.add_column('user_account', sa.Column('email_reminders', sa.Boolean(), nullable=False,
                                            server_default=sa.true()))
    op.execute(sa.text("UPDATE user_account SET email_reminders = :off "
                       "WHERE email_delivery = 'none'").bindparams(off=False))
    op.drop_column('user_account', 'email_delivery')

    op.execute("DELETE FROM notification WHERE kind <> 'reminder'")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint('uq_notification_transition', type_='unique')
        batch_op.drop_index(batch_op.f('ix_notification_transition_id'))
        batch_op.drop_constraint(batch_op.f('fk_notification_transition_id_report_transition'),
                                 type_='foreignkey')
        batch_op.alter_column('step', existing_type=sa.String(length=10), nullable=False)
        batch_op.drop_column('transition_id')
        batch_op.drop_column('kind')
