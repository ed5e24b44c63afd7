"""Reorganizations and unit lineage: which units became which, from when.

Revision ID: 0010_reorganization
Revises: 0009_audit
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

from tenants.rls import FUNCTIONS_V1_SQL, VISIBLE_UNITS_V2_SQL, policy_sql_for

revision = '0010_reorganization'
down_revision = '0009_audit'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reorganization',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('applied_by_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_reorganization_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reorganization'))
    )
    with op.batch_alter_table('reorganization', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reorganization_unit_id'), ['unit_id'], unique=False)
    op.create_table('unit_lineage',
    sa.Column('predecessor_id', sa.Integer(), nullable=False),
    sa.Column('successor_id', sa.Integer(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('reorganization_id', sa.Integer(), nullable=True),
    sa.Column('direct', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['predecessor_id'], ['unit.id'], name=op.f('fk_unit_lineage_predecessor_id_unit')),
    sa.ForeignKeyConstraint(['reorganization_id'], ['reorganization.id'], name=op.f('fk_unit_lineage_reorganization_id_reorganization')),
    sa.ForeignKeyConstraint(['successor_id'], ['unit.id'], name=op.f('fk_unit_lineage_successor_id_unit')),
    sa.PrimaryKeyConstraint('predecessor_id', 'successor_id', name=op.f('pk_unit_lineage'))
    )
    with op.batch_alter_table('unit_lineage', schema=None) as batch_op:
        batch_op.create_index('ix_unit_lineage_successor', ['successor_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in policy_sql_for("reorganization"):
            op.execute(statement)
        # Readers of a subtree read the units merged into it too (tenants/rls.py).
        op.execute(VISIBLE_UNITS_V2_SQL)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTIONS_V1_SQL[1])   # portal_visible_units without the lineage
        op.execute("DROP POLICY IF EXISTS reorganization_tenant ON reorganization")
    with op.batch_alter_table('unit_lineage', schema=None) as batch_op:
        batch_op.drop_index('ix_unit_lineage_successor')
    op.drop_table('unit_lineage')
    with op.batch_alter_table('reorganization', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reorganization_unit_id'))
    op.drop_table('reorganization')
