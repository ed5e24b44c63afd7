"""Account lockout: failed sign-ins in a row, and until when an account is locked.

Revision ID: 0011_lockout
Revises: 0010_reorganization
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = '0011_lockout'
down_revision = '0010_reorganization'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
