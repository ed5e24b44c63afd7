"""The distribution key: every distributed tenant table carries its province
(``province_id``, the key of the row's unit, as migration 0028 gave the report tables),
and on PostgreSQL its primary key, unique constraints and the foreign keys between
distributed tables include it (issue 22 item 7; checked by scripts/citus_check.py).

Which tables are distributed: those whose rows belong to one unit (row-level security on
``unit_id``). The tables shared down the tree (a framework and its parts, periods,
obligations: ``owner_unit_id``, read by every unit below the owner, the ministry's by
every province), the memberships (read by every request's reach, by user, not by
province), the reorganizations (few, referenced by ``unit_lineage``) and the manual
reminders (below) are Citus reference tables instead and get no key. docs/operations.md § Ready for Citus says why.

A composite foreign key ``(x_id, province_id) -> parent (id, province_id)`` also makes the
database refuse a child row in another province than its parent's. The one parent
whose children are legitimately in other provinces (``manual_reminder``: a reminder sent
from the ministry to the provinces' units, each ``manual_reminder_unit`` row in its
unit's province) is a reference table: reminders are sent by hand, a few a year. So is
``validation_run``: a run started above the provinces (the ministry's, on the national
plan) tells units of every province (``validation_notice``, in its unit's province);
runs are started by hand or once a season.

A row about no unit (an audit entry about an account) gets key 0, the platform's own.

The key goes last in every key (``(id, province_id)``), so lookups by ``id`` or by the
old unique columns keep their index. On SQLite (the embedded default, never
distributed) only the column and its trigger are added: keys are not rebuilt.

Revision ID: 0034_distribution_key
Revises: 0033_report_obligations
Create Date: 2026-12-04
"""
import re

from alembic import op
import sqlalchemy as sa

revision = "0034_distribution_key"
down_revision = "0033_report_obligations"
branch_labels = None
depends_on = None

KEY = "province_id"
# keyed by 0028 already (column, trigger, index)
KEYED_BEFORE = ("unit_report", "report_value", "report_task")
# the unit column of each of these is unit_id (their row-level security policies test it)
NEWLY_KEYED = (
    "audit_entry", "consolidation", "consolidation_file", "consolidation_narrative",
    "document_ingest", "document_record", "indicator_mapping", "manual_reminder_unit",
    "notification", "plan_comment", "plan_revision", "plan_target", "plan_task",
    "plan_task_unit", "plan_transition", "register_counter", "register_entry",
    "report_evidence", "report_submission", "report_transition", "signing_image",
    "unit_plan", "validation_notice", "value_comment", "value_follow_up",
    "violation_explanation")
DISTRIBUTED = KEYED_BEFORE + NEWLY_KEYED

ROW_FUNCTION = """CREATE OR REPLACE FUNCTION portal_row_key() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  IF NEW.province_id IS NULL THEN
    SELECT u.province_id INTO NEW.province_id FROM unit u WHERE u.id = NEW.unit_id;
    NEW.province_id := coalesce(NEW.province_id, 0);
  END IF;
  RETURN NEW;
END $$"""
ROW_FUNCTION_0028 = """CREATE OR REPLACE FUNCTION portal_row_key() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  IF NEW.province_id IS NULL THEN
    SELECT u.province_id INTO NEW.province_id FROM unit u WHERE u.id = NEW.unit_id;
  END IF;
  RETURN NEW;
END $$"""

# SQLite's refusal of updates to the audit log (0009), with an optional WHEN clause
AUDIT_NO_UPDATE = ("CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry{when}"
                   " BEGIN SELECT RAISE(ABORT, 'the audit log cannot be changed or deleted');"
                   " END")


def _constraints(kinds: str) -> list[tuple[str, str, str, str]]:
    """(table, name, kind, definition) of the distributed tables' constraints of kinds."""
    rows = op.get_bind().execute(sa.text("""
        SELECT t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid),
               coalesce(r.relname, '')
          FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
          LEFT JOIN pg_class r ON r.oid = c.confrelid
         WHERE t.relnamespace = 'public'::regnamespace AND c.contype = ANY(:kinds)
           AND t.relname = ANY(:tables)
         ORDER BY t.relname, c.conname"""),
        {"kinds": list(kinds), "tables": list(DISTRIBUTED)}).all()
    return [(table, name, kind, definition) for table, name, kind, definition, target in rows
            if kind != "f" or target in DISTRIBUTED]


def _with_key(definition: str) -> str:
    """PRIMARY KEY (id) -> PRIMARY KEY (id, province_id); likewise UNIQUE and both sides
    of FOREIGN KEY (x) REFERENCES t(id)."""
    return re.sub(r"\(([^()]*)\)", lambda m: f"({m.group(1)}, {KEY})", definition, count=2)


def _without_key(definition: str) -> str:
    return definition.replace(f", {KEY})", ")")


def _rebuild(transform) -> None:
    """Drop the foreign keys between distributed tables, rebuild the primary keys and
    unique constraints, then the foreign keys again, each definition transformed."""
    foreign = _constraints("f")
    for table, name, _, _ in foreign:
        op.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for table, name, _, definition in _constraints("pu"):
        op.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}",'
                   f' ADD CONSTRAINT "{name}" {transform(definition)}')
    for table, name, _, definition in foreign:
        op.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {transform(definition)}')


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    # The audit log refuses every UPDATE (0009): open it for the fill here (PostgreSQL)
    # or for good to one change, a NULL key getting its value (SQLite, whose trigger
    # sets the key after the insert; no row has a NULL key once its insert is done).
    op.execute("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_immutable" if postgres
               else "DROP TRIGGER IF EXISTS audit_entry_no_update")
    for table in NEWLY_KEYED:
        op.execute(f"ALTER TABLE {table} ADD COLUMN {KEY} INTEGER")
        op.execute(f"UPDATE {table} SET {KEY} = coalesce((SELECT u.province_id FROM unit u"  # noqa: S608 - this module's own names
                   f" WHERE u.id = {table}.unit_id), 0)")
    op.execute("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_immutable" if postgres
               else AUDIT_NO_UPDATE.format(when=f" WHEN NOT (OLD.{KEY} IS NULL"
                                                f" AND NEW.{KEY} IS NOT NULL)"))
    if postgres:
        op.execute(ROW_FUNCTION)
        for table in NEWLY_KEYED:
            op.execute(f"CREATE TRIGGER {table}_key BEFORE INSERT ON {table}"
                       " FOR EACH ROW EXECUTE FUNCTION portal_row_key()")
        for table in KEYED_BEFORE:
            op.execute(f"UPDATE {table} SET {KEY} = 0 WHERE {KEY} IS NULL")  # noqa: S608 - this module's own names
        for table in DISTRIBUTED:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {KEY} SET NOT NULL")
        _rebuild(_with_key)
    else:
        for table in NEWLY_KEYED:
            op.execute(f"""CREATE TRIGGER {table}_key AFTER INSERT ON {table}
                FOR EACH ROW WHEN NEW.{KEY} IS NULL BEGIN
                  UPDATE {table} SET {KEY} = coalesce((SELECT u.province_id FROM unit u
                   WHERE u.id = NEW.unit_id), 0) WHERE rowid = NEW.rowid;
                END""")


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        _rebuild(_without_key)
        for table in KEYED_BEFORE:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {KEY} DROP NOT NULL")
        op.execute(ROW_FUNCTION_0028)
    for table in NEWLY_KEYED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_key" + (f" ON {table}" if postgres else ""))
    if not postgres:
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
        op.execute(AUDIT_NO_UPDATE.format(when=""))
    for table in NEWLY_KEYED:
        op.execute(f"ALTER TABLE {table} DROP COLUMN {KEY}")
