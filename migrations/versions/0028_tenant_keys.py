"""Tenant keys: the province of every unit, report, report value and report task, so the
planner sees the tenant (row-level security hides it: its test is a hashed subplan the
planner cannot estimate, and it scanned every tenant's reports for one province's
dashboard). Filled here for the rows there are, and on insert by a trigger (both
engines), indexed.

A unit's key is the unit itself when it is a province or has no parent, else its
parent's key: every unit below a province carries the province, a unit above the
provinces (the nation, a ministry) carries its topmost root. Units never change parent
(reorganizations record lineage instead), so a key never changes.

Also the files of a consolidation prepared in the background (consolidation_file: its
state, then its bytes), under row-level security like the consolidation.

Revision ID: 0028_tenant_keys
Revises: 0024_document_register
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

from tenants.rls import drop_policy_sql, policy_sql_for

revision = "0028_tenant_keys"
down_revision = "0024_document_register"
branch_labels = None
depends_on = None

# table -> the column naming its unit
KEYED = {"unit_report": "unit_id", "report_value": "unit_id", "report_task": "unit_id"}
INDEXES = {"unit": ["province_id"], "unit_report": ["province_id", "period_id"],
           "report_value": ["province_id", "indicator_id"],
           "report_task": ["province_id"]}

# The key of a new unit: its own id for a province or a root, else its parent's key.
# SECURITY DEFINER: the key is read whatever the inserter's row-level security lets it
# see (it copies one number from a row the inserter's own unit belongs under).
PG_UNIT_FUNCTION = """CREATE OR REPLACE FUNCTION portal_unit_key() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  IF NEW.province_id IS NULL THEN
    IF NEW.kind = 'province' OR NEW.parent_id IS NULL THEN
      NEW.province_id := NEW.id;
    ELSE
      SELECT u.province_id INTO NEW.province_id FROM unit u WHERE u.id = NEW.parent_id;
    END IF;
  END IF;
  RETURN NEW;
END $$"""
PG_ROW_FUNCTION = """CREATE OR REPLACE FUNCTION portal_row_key() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  IF NEW.province_id IS NULL THEN
    SELECT u.province_id INTO NEW.province_id FROM unit u WHERE u.id = NEW.unit_id;
  END IF;
  RETURN NEW;
END $$"""


def _fill_units() -> None:
    """Every unit's key from the closure table: its topmost ancestor of kind province,
    else its topmost ancestor (the root)."""
    op.execute("""UPDATE unit SET province_id = coalesce(
        (SELECT c.ancestor_id FROM unit_closure c JOIN unit a ON a.id = c.ancestor_id
          WHERE c.descendant_id = unit.id AND a.kind = 'province'
          ORDER BY c.depth DESC LIMIT 1),
        (SELECT c.ancestor_id FROM unit_closure c
          WHERE c.descendant_id = unit.id ORDER BY c.depth DESC LIMIT 1),
        unit.id)""")


def _files_table() -> None:
    op.create_table(
        "consolidation_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("consolidation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("narrative_versions", sa.JSON(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("job_id", sa.String(length=80), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"],
                                name=op.f("fk_consolidation_file_unit_id_unit")),
        sa.ForeignKeyConstraint(
            ["consolidation_id"], ["consolidation.id"],
            name=op.f("fk_consolidation_file_consolidation_id_consolidation")),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["user_account.id"],
            name=op.f("fk_consolidation_file_requested_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consolidation_file")),
    )
    with op.batch_alter_table("consolidation_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consolidation_file_unit_id"), ["unit_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_consolidation_file_consolidation_id"),
                              ["consolidation_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for statement in policy_sql_for("consolidation_file"):
            op.execute(statement)


def upgrade():
    _files_table()
    for table in ("unit", *KEYED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("province_id", sa.Integer(), nullable=True))
    _fill_units()
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, column in KEYED.items():
        op.execute(f"UPDATE {table} SET province_id = u.province_id FROM unit u"  # noqa: S608 - this module's own names
                   f" WHERE u.id = {table}.{column}" if postgres else
                   f"UPDATE {table} SET province_id = (SELECT u.province_id FROM unit u"  # noqa: S608 - this module's own names
                   f" WHERE u.id = {table}.{column})")
    for table, columns in INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_province", columns, unique=False)
    if postgres:
        op.execute(PG_UNIT_FUNCTION)
        op.execute(PG_ROW_FUNCTION)
        op.execute("CREATE TRIGGER unit_key BEFORE INSERT ON unit"
                   " FOR EACH ROW EXECUTE FUNCTION portal_unit_key()")
        for table in KEYED:
            op.execute(f"CREATE TRIGGER {table}_key BEFORE INSERT ON {table}"
                       " FOR EACH ROW EXECUTE FUNCTION portal_row_key()")
    else:
        op.execute("""CREATE TRIGGER unit_key AFTER INSERT ON unit
            FOR EACH ROW WHEN NEW.province_id IS NULL BEGIN
              UPDATE unit SET province_id = CASE
                WHEN NEW.kind = 'province' OR NEW.parent_id IS NULL THEN NEW.id
                ELSE (SELECT p.province_id FROM unit p WHERE p.id = NEW.parent_id) END
               WHERE id = NEW.id;
            END""")
        for table, column in KEYED.items():
            op.execute(f"""CREATE TRIGGER {table}_key AFTER INSERT ON {table}
                FOR EACH ROW WHEN NEW.province_id IS NULL BEGIN
                  UPDATE {table} SET province_id = (SELECT u.province_id FROM unit u
                   WHERE u.id = NEW.{column}) WHERE id = NEW.id;
                END""")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in drop_policy_sql("consolidation_file", ["consolidation_file_tenant"]):
            op.execute(statement)
    op.drop_table("consolidation_file")
    for table in ("unit", *KEYED):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_key" + (
            f" ON {table}" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS portal_row_key()")
        op.execute("DROP FUNCTION IF EXISTS portal_unit_key()")
    for table in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_province")
            batch_op.drop_column("province_id")
