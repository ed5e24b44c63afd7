"""Indicator targets at their level: what a target measures (the owning unit's own figure,
the sum over units, the share of units) and how each year's target is set (given per
year, or a straight line from a baseline to the final target).

Existing rows keep today's reading: yes/no indicators are shares of units, others sums;
a cumulative indicator without yearly targets follows a straight line from 0, the others
take the year's target (or the final one). Plan 108's forums (II.1.b) and S&T
programmes (II.1.c) are the province's own targets.

Revision ID: 0013_indicator_targets
Revises: 0012_indicator_maximum
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0013_indicator_targets"
down_revision = "0012_indicator_maximum"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_scope', sa.String(length=8), nullable=False,
                                      server_default='sum'))
        batch_op.add_column(sa.Column('target_path', sa.String(length=8), nullable=False,
                                      server_default='yearly'))
        batch_op.add_column(sa.Column('baseline', sa.Numeric(20, 4), nullable=True))
        batch_op.add_column(sa.Column('baseline_year', sa.Integer(), nullable=True))
    op.execute("UPDATE indicator SET target_scope = 'share' "
               "WHERE aggregation = 'share_of_expected'")
    op.execute("UPDATE indicator SET target_path = 'linear' "
               "WHERE time_behaviour = 'cumulative' AND NOT EXISTS ("
               "SELECT 1 FROM indicator_target t WHERE t.indicator_id = indicator.id)")
    op.execute("UPDATE indicator SET target_scope = 'own' "
               "WHERE code IN ('II.1.b', 'II.1.c') AND version_id IN ("
               "SELECT id FROM framework_version WHERE doc_number = '108/KH-UBND')")


def downgrade():
    # ALTER TABLE … DROP COLUMN in place (SQLite ≥ 3.35 has it): a batch copy of the
    # table would drop the table the report values and yearly targets refer to, which
    # SQLite's foreign keys refuse once there are reports.
    for column in ('baseline_year', 'baseline', 'target_path', 'target_scope'):
        op.drop_column('indicator', column)
