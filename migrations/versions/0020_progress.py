"""Health and forecast (issue 18, items 6–8): which way each indicator should move and
the tolerance of a "maintain" indicator, the health thresholds of each framework, and a
unit's confidence rating on a task of its report.

Existing indicators are "higher is better"; Plan 108's II.1.e (every warning on
non-conforming goods resolved, 100 % each year) is a level to hold: "maintain", within
5 %. Thresholds default to on track from 95 %, behind from 85 % (docs/progress.md).

Revision ID: 0020_progress
Revises: 0017_consolidation_narrative
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0020_progress"
down_revision = "0019_outliers_value_panel"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('direction', sa.String(length=10), nullable=False,
                                      server_default='increase'))
        batch_op.add_column(sa.Column('tolerance', sa.Numeric(8, 4), nullable=True))
    with op.batch_alter_table('framework', schema=None) as batch_op:
        batch_op.add_column(sa.Column('health_on_track', sa.Numeric(6, 4), nullable=False,
                                      server_default='0.95'))
        batch_op.add_column(sa.Column('health_behind', sa.Numeric(6, 4), nullable=False,
                                      server_default='0.85'))
    with op.batch_alter_table('report_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confidence', sa.String(length=12), nullable=True))
    op.execute("UPDATE indicator SET direction = 'maintain', tolerance = 0.05 "
               "WHERE code = 'II.1.e' AND version_id IN ("
               "SELECT id FROM framework_version WHERE doc_number = '108/KH-UBND')")


def downgrade():
    # ALTER TABLE … DROP COLUMN in place, as 0013 does (a batch copy would drop tables
    # that others refer to, which SQLite's foreign keys refuse once there are reports).
    op.drop_column('report_task', 'confidence')
    for column in ('health_behind', 'health_on_track'):
        op.drop_column('framework', column)
    for column in ('tolerance', 'direction'):
        op.drop_column('indicator', column)
