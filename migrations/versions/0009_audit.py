"""Audit log: every change to units, accounts, memberships, frameworks, plans and reports,
with before and after; nobody can change or delete an entry.

Revision ID: 0009_audit
Revises: 0008_rls_set_based
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

from tenants.rls import FUNCTIONS_V1_SQL, visible_sql

revision = '0009_audit'
down_revision = '0008_rls_set_based'
branch_labels = None
depends_on = None

REFUSE_PG = """
CREATE OR REPLACE FUNCTION audit_entry_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log cannot be changed or deleted';
END $$"""


def upgrade():
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('request_id', sa.String(length=40), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_audit_entry_object', ['object_type', 'object_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for statement in FUNCTIONS_V1_SQL:
            op.execute(statement)
        op.execute("ALTER TABLE audit_entry ENABLE ROW LEVEL SECURITY")
        # Read what the scope sees; anyone may add an entry (it reveals nothing); no
        # policy for UPDATE or DELETE, so the app role can do neither.
        op.execute(f"CREATE POLICY audit_entry_read ON audit_entry FOR SELECT"
                   f" USING ({visible_sql('unit_id')})")
        op.execute("CREATE POLICY audit_entry_insert ON audit_entry FOR INSERT WITH CHECK (true)")
        op.execute(REFUSE_PG)
        op.execute("CREATE TRIGGER audit_entry_immutable BEFORE UPDATE OR DELETE OR TRUNCATE"
                   " ON audit_entry FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse()")
    else:
        for what in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_entry_no_{what.lower()} BEFORE {what} ON audit_entry"
                       " BEGIN SELECT RAISE(ABORT, 'the audit log cannot be changed or deleted');"
                       " END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_immutable ON audit_entry")
        op.execute("DROP FUNCTION IF EXISTS audit_entry_refuse()")
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entry_object')
        batch_op.drop_index(batch_op.f('ix_audit_entry_unit_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_at'))
    op.drop_table('audit_entry')
