"""PostgreSQL row-level security (layer 3 of ENGINEERING.md § Tenancy).

Before a statement runs on PostgreSQL, the current scope is written into three
transaction-local settings with ``SET LOCAL`` — never session-level, so a pooled
connection (PgBouncer in transaction mode) cannot carry one request's scope into the
next, and the form Citus propagates to its workers (with
``citus.propagate_set_commands = 'local'``; a ``set_config()`` call is not propagated):

- ``app.scope_all``  ``on`` inside the audited system scope, else empty;
- ``app.unit_roots`` comma-separated ids whose whole subtree is visible;
- ``app.unit_ids``   comma-separated ids visible by themselves.

The policies (created by migrations through ``policy_sql_for``) test the row's unit
against ``portal_visible_units()``; no setting means no rows.
"""

from __future__ import annotations

import re

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPICursor

from tenants.scoping import Scope, current_scope

_APPLIED = "tenant_rls_applied"
_SETTINGS = ("app.scope_all", "app.unit_roots", "app.unit_ids")
# What settings_for can produce: "on", nothing, or unit ids separated by commas.
_SETTING_VALUE = re.compile(r"on|[0-9]+(,[0-9]+)*|")


def set_local_sql(wanted: tuple[str, str, str]) -> str:
    """The three ``SET LOCAL`` statements for these settings, as one query.

    ``SET`` takes no bind parameter, so the values are written into the statement: each
    is checked against what ``settings_for`` can produce before it is quoted.
    """
    for value in wanted:
        if not _SETTING_VALUE.fullmatch(value):
            raise ValueError(f"not a tenant setting: {value!r}")
    return "; ".join(f"SET LOCAL {name} = '{value}'"
                     for name, value in zip(_SETTINGS, wanted, strict=True))


def settings_for(scope: Scope | None) -> tuple[str, str, str]:
    if scope is None:
        return ("", "", "")
    if scope.everything:
        return ("on", "", "")
    return ("",
            ",".join(str(i) for i in sorted(scope.subtree_roots)),
            ",".join(str(i) for i in sorted(scope.units)))


def install(engine: Engine) -> None:
    """Keep the connection's RLS settings equal to the current scope."""
    if engine.dialect.name != "postgresql":
        return
    if event.contains(engine, "before_cursor_execute", _apply):
        return
    event.listen(engine, "before_cursor_execute", _apply)
    # A new transaction, or a rolled-back savepoint, forgets what was set.
    for name in ("begin", "rollback", "commit", "rollback_savepoint"):
        event.listen(engine, name, _forget)


def _forget(conn: Connection, *args: object) -> None:
    conn.info.pop(_APPLIED, None)


_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "BEGIN")


def _apply(conn: Connection, cursor: DBAPICursor, statement: str, parameters: object,
           context: object, executemany: bool) -> None:
    # Transaction control reads no rows, and may run in an aborted transaction.
    if statement.lstrip()[:9].upper().startswith(_TRANSACTION_CONTROL):
        return
    wanted = settings_for(current_scope())
    if conn.info.get(_APPLIED) == wanted:
        return
    cursor.execute(set_local_sql(wanted))
    conn.info[_APPLIED] = wanted


# Set-based visibility. A policy that calls a per-row function (``portal_unit_visible(id)``,
# which migration 0001 made) costs a function call and an index probe for every row: about
# 6 s for half a million report values. Written as below, PostgreSQL evaluates the scope
# test once per statement (an InitPlan) and the visible units once per statement (a hashed
# SubPlan), then probes a hash per row. Migration 0008 rewrote the older policies this way.
# Version 1 of the visibility functions (migrations 0008 and 0009 create it; 0010 gives
# portal_visible_units the units merged into visible ones). Do not call these from a new
# migration: ``policy_sql_for`` creates the functions only where they are missing, so it
# never takes a newer definition back.
FUNCTIONS_V1_SQL = [
    """CREATE OR REPLACE FUNCTION portal_scope_all() RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('app.scope_all', true), '') = 'on'
$$""",
    """CREATE OR REPLACE FUNCTION portal_visible_units() RETURNS SETOF integer
LANGUAGE sql STABLE AS $$
  SELECT unnest(string_to_array(NULLIF(current_setting('app.unit_ids', true), ''), ',')::integer[])
  UNION
  SELECT c.descendant_id FROM unit_closure c
   WHERE c.ancestor_id = ANY (string_to_array(
           NULLIF(current_setting('app.unit_roots', true), ''), ',')::integer[])
$$""",
    # What a unit reads of the rows its ancestors own (frameworks shared down the tree).
    """CREATE OR REPLACE FUNCTION portal_visible_down_units() RETURNS SETOF integer
LANGUAGE sql STABLE AS $$
  SELECT portal_visible_units()
  UNION
  SELECT c.ancestor_id FROM unit_closure c
   WHERE c.descendant_id = ANY (string_to_array(
           NULLIF(current_setting('app.unit_ids', true), ''), ',')::integer[])
      OR c.descendant_id = ANY (string_to_array(
           NULLIF(current_setting('app.unit_roots', true), ''), ',')::integer[])
$$""",
]

# Version 2 (migration 0010): whoever reads a subtree also reads the units that were
# merged into it (unit_lineage), so their reports count — and can be opened — "as the
# province is now". The ORM guard (tenants.scoping) applies the same rule.
VISIBLE_UNITS_V2_SQL = """CREATE OR REPLACE FUNCTION portal_visible_units() RETURNS SETOF integer
LANGUAGE sql STABLE AS $$
  SELECT unnest(string_to_array(NULLIF(current_setting('app.unit_ids', true), ''), ',')::integer[])
  UNION
  SELECT c.descendant_id FROM unit_closure c
   WHERE c.ancestor_id = ANY (string_to_array(
           NULLIF(current_setting('app.unit_roots', true), ''), ',')::integer[])
  UNION
  SELECT l.predecessor_id FROM unit_lineage l JOIN unit_closure c
      ON c.descendant_id = l.successor_id
   WHERE c.ancestor_id = ANY (string_to_array(
           NULLIF(current_setting('app.unit_roots', true), ''), ',')::integer[])
$$"""


# Version 3 (migration 0026): whoever holds a role in a unit — its drafter and head too,
# who see their own unit only — also reads the units merged into it, so a new commune's
# people read the plans and reports of the old communes it took over. The ORM guard
# (tenants.scoping) applies the same rule.
VISIBLE_UNITS_V3_SQL = """CREATE OR REPLACE FUNCTION portal_visible_units() RETURNS SETOF integer
LANGUAGE sql STABLE AS $$
  SELECT unnest(string_to_array(NULLIF(current_setting('app.unit_ids', true), ''), ',')::integer[])
  UNION
  SELECT c.descendant_id FROM unit_closure c
   WHERE c.ancestor_id = ANY (string_to_array(
           NULLIF(current_setting('app.unit_roots', true), ''), ',')::integer[])
  UNION
  SELECT l.predecessor_id FROM unit_lineage l JOIN unit_closure c
      ON c.descendant_id = l.successor_id
   WHERE c.ancestor_id = ANY (string_to_array(
           NULLIF(current_setting('app.unit_roots', true), ''), ',')::integer[])
  UNION
  SELECT l.predecessor_id FROM unit_lineage l
   WHERE l.successor_id = ANY (string_to_array(
           NULLIF(current_setting('app.unit_ids', true), ''), ',')::integer[])
$$"""


def _functions_if_missing() -> list[str]:
    """Create each visibility function only where it does not exist yet."""
    out = []
    for definition in FUNCTIONS_V1_SQL:
        name = definition.split("FUNCTION ", 1)[1].split("(", 1)[0]
        body = definition.replace("$$", "$f$")
        out.append(f"DO $do$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_proc WHERE proname = "  # noqa: S608 - this module's own constants
                   f"'{name}') THEN EXECUTE $e${body}$e$; END IF; END $do$")
    return out


def visible_sql(column: str) -> str:
    """The row's unit is in the current scope."""
    return f"((SELECT portal_scope_all()) OR {column} IN (SELECT portal_visible_units()))"


def visible_down_sql(column: str) -> str:
    """The row's owner is in the current scope or above a unit in it."""
    return f"((SELECT portal_scope_all()) OR {column} IN (SELECT portal_visible_down_units()))"


def policy_sql_for(table: str, column: str = "unit_id") -> list[str]:
    """Statements a migration runs to put a new tenant table under row-level security."""
    return [*_functions_if_missing(),
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"CREATE POLICY {table}_tenant ON {table} USING ({visible_sql(column)})"
            f" WITH CHECK ({visible_sql(column)})"]


def shared_down_policy_sql(table: str, column: str = "owner_unit_id") -> list[str]:
    """A table read by every unit below its owner, written only within the scope."""
    return [
        *_functions_if_missing(),
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({visible_down_sql(column)})",
        f"CREATE POLICY {table}_insert ON {table} FOR INSERT"
        f" WITH CHECK ({visible_sql(column)})",
        f"CREATE POLICY {table}_update ON {table} FOR UPDATE"
        f" USING ({visible_sql(column)}) WITH CHECK ({visible_sql(column)})",
        f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({visible_sql(column)})",
    ]


def drop_policy_sql(table: str, policies: list[str]) -> list[str]:
    return [f"DROP POLICY IF EXISTS {name} ON {table}" for name in policies] + [
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"]
