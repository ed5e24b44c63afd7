"""A unit's own people read the units merged into it: a new commune's drafter and head
read the plans and reports of the old communes it took over (portal_visible_units v3,
tenants/rls.py; the ORM guard applies the same rule).

Revision ID: 0026_demo_history
Revises: 0023_ingest_corrections
Create Date: 2026-12-03
"""
from alembic import op

from tenants.rls import VISIBLE_UNITS_V2_SQL, VISIBLE_UNITS_V3_SQL

revision = "0026_demo_history"
down_revision = "0023_ingest_corrections"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(VISIBLE_UNITS_V3_SQL)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(VISIBLE_UNITS_V2_SQL)
