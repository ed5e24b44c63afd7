"""Row-level security tested once per statement, not once per row.

The policies of 0001–0007 called ``portal_unit_visible(unit_id)`` for every row: a
function call and an index probe each, about 6 s for half a million report values. They
now read ``(SELECT portal_scope_all()) OR unit_id IN (SELECT portal_visible_units())``,
which PostgreSQL evaluates once per statement and probes as a hash per row. Same rule,
same settings (tenants/rls.py).

Revision ID: 0008_rls_set_based
Revises: 0007_notifications
Create Date: 2026-12-02
"""
import re

from alembic import op
import sqlalchemy as sa

from tenants.rls import FUNCTIONS_V1_SQL, visible_down_sql, visible_sql

revision = '0008_rls_set_based'
down_revision = '0007_notifications'
branch_labels = None
depends_on = None

_DOWN = re.compile(r"portal_unit_visible_down\((\w+)\)")
_ROW = re.compile(r"portal_unit_visible\((\w+)\)")


def _rewrite(expression: str | None, down: bool) -> str | None:
    """A policy expression as pg_policies shows it, in the new form (or back)."""
    if expression is None:
        return None
    if down:
        expression = _NEW_DOWN.sub(r"portal_unit_visible_down(\1)", expression)
        return _NEW_ROW.sub(r"portal_unit_visible(\1)", expression)
    expression = _DOWN.sub(lambda m: visible_down_sql(m.group(1)), expression)
    return _ROW.sub(lambda m: visible_sql(m.group(1)), expression)


# How PostgreSQL prints the new form back (pg_policies deparses the expression).
_NEW_DOWN = re.compile(r"\(\( SELECT portal_scope_all\(\) AS portal_scope_all\) OR \((\w+) IN \( SELECT portal_visible_down_units\(\) AS portal_visible_down_units\)\)\)")
_NEW_ROW = re.compile(r"\(\( SELECT portal_scope_all\(\) AS portal_scope_all\) OR \((\w+) IN \( SELECT portal_visible_units\(\) AS portal_visible_units\)\)\)")


def _policies():
    return op.get_bind().execute(sa.text(
        "SELECT tablename, policyname, qual, with_check FROM pg_policies "
        "WHERE schemaname = current_schema()")).all()


def _alter(down: bool) -> None:
    for table, name, using, check in _policies():
        new_using, new_check = _rewrite(using, down), _rewrite(check, down)
        if (new_using, new_check) == (using, check):
            continue
        clauses = []
        if new_using is not None:
            clauses.append(f"USING ({new_using})")
        if new_check is not None:
            clauses.append(f"WITH CHECK ({new_check})")
        op.execute(f'ALTER POLICY "{name}" ON "{table}" {" ".join(clauses)}')


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in FUNCTIONS_V1_SQL:
        op.execute(statement)
    _alter(down=False)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    _alter(down=True)
