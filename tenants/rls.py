"""PostgreSQL row-level security (layer 3 of ENGINEERING.md § Tenancy).

Before a statement runs on PostgreSQL, the current scope is written into three
transaction-local settings with ``set_config(…, true)`` — never session-level, so
a pooled connection cannot carry one request's scope into the next:

- ``app.scope_all``  ``on`` inside the audited system scope, else empty;
- ``app.unit_roots`` comma-separated ids whose whole subtree is visible;
- ``app.unit_ids``   comma-separated ids visible by themselves.

The policies (created by migrations, see 0001_foundation) call
``portal_unit_visible(id)``; no setting means no rows.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

from tenants.scoping import Scope, current_scope

_APPLIED = "tenant_rls_applied"
_SET_SQL = ("SELECT set_config('app.scope_all', %s, true),"
            " set_config('app.unit_roots', %s, true),"
            " set_config('app.unit_ids', %s, true)")


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


def _forget(conn, *args) -> None:  # type: ignore[no-untyped-def]
    conn.info.pop(_APPLIED, None)


_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "BEGIN")


def _apply(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
    # Transaction control reads no rows, and may run in an aborted transaction.
    if statement.lstrip()[:9].upper().startswith(_TRANSACTION_CONTROL):
        return
    wanted = settings_for(current_scope())
    if conn.info.get(_APPLIED) == wanted:
        return
    cursor.execute(_SET_SQL, wanted)
    conn.info[_APPLIED] = wanted


def policy_sql_for(table: str, column: str = "unit_id") -> list[str]:
    """Statements a migration runs to put a new tenant table under row-level security.

    ``portal_unit_visible`` is created by migration 0001_foundation.
    """
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY {table}_tenant ON {table} USING (portal_unit_visible({column}))"
        f" WITH CHECK (portal_unit_visible({column}))",
    ]


def shared_down_policy_sql(table: str, column: str = "owner_unit_id") -> list[str]:
    """A table read by every unit below its owner, written only within the scope.

    ``portal_unit_visible_down`` is created by migration 0002_frameworks.
    """
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY {table}_read ON {table} FOR SELECT"
        f" USING (portal_unit_visible_down({column}))",
        f"CREATE POLICY {table}_insert ON {table} FOR INSERT"
        f" WITH CHECK (portal_unit_visible({column}))",
        f"CREATE POLICY {table}_update ON {table} FOR UPDATE"
        f" USING (portal_unit_visible({column})) WITH CHECK (portal_unit_visible({column}))",
        f"CREATE POLICY {table}_delete ON {table} FOR DELETE"
        f" USING (portal_unit_visible({column}))",
    ]


def drop_policy_sql(table: str, policies: list[str]) -> list[str]:
    return [f"DROP POLICY IF EXISTS {name} ON {table}" for name in policies] + [
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"]
