"""Indicator maximum: the largest figure a unit can plausibly report for an indicator.

Revision ID: 0012_indicator_maximum
Revises: 0011_lockout
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = '0012_indicator_maximum'
down_revision = '0011_lockout'
branch_labels = None
depends_on = None


def upgrade():
    # A nullable column: the table's row-level security policies and the app role's
    # grants (on the table, so on every column) are unchanged.
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('maximum', sa.Numeric(precision=20, scale=4),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.drop_column('maximum')
