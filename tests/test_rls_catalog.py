"""Row-level security is in place on every tenant table, read from PostgreSQL's catalog.

The tables come from the models' metadata (every model mixing in ``TenantScoped``, the
shared-down ones included), never from a hand list: a new tenant model whose migration
forgets ``tenants.rls.policy_sql_for`` fails here, and so does a policy dropped or
loosened later. What is intended (docs/tenancy.md § 3):

- row-level security is **enabled** on each tenant table and **not forced**: the table
  owner (``portal_owner``, who runs the migrations) is exempt, and the app never connects
  as the owner or as a member of it;
- SELECT, INSERT, UPDATE and DELETE are each covered by a permissive policy, and every
  permissive policy covering a command tests the row's unit column against
  ``portal_visible_units()`` — reads of shared-down tables (frameworks) against
  ``portal_visible_down_units()``, their writes never;
- nothing else in the schema has policies, so the ORM guard knows every table RLS knows.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from portal.extensions import db
from portal.models_base import Base
from tenants.scoping import SharedDownTree, TenantScoped, system_scope

COMMANDS = ("SELECT", "INSERT", "UPDATE", "DELETE")

# Deliberate departures from the rule, each with its reason. Keys: (table, command).
# A command with no policy at all is refused to the app role by row-level security.
NO_POLICY = {
    ("audit_entry", "UPDATE"): "the audit log is append-only (a trigger refuses it too)",
    ("audit_entry", "DELETE"): "the audit log is append-only (a trigger refuses it too)",
}
OPEN_POLICY = {
    ("audit_entry", "INSERT"): "anyone may add an entry: writing one reveals nothing",
}
# The column a command's check is anchored on, where it is not the tenant column.
ANCHOR = {
    ("unit", "INSERT"): "parent_id",   # a new unit has no closure rows: its parent is checked
}


@dataclass(frozen=True)
class TenantTable:
    name: str
    model: str
    column: str
    shared_down: bool


def tenant_tables() -> dict[str, TenantTable]:
    """Every table of a tenant-owned model, from the mapped metadata."""
    out: dict[str, TenantTable] = {}
    for mapper in Base.registry.mappers:
        model = mapper.class_
        if not issubclass(model, TenantScoped):
            continue
        table = mapper.local_table.name
        out[table] = TenantTable(table, model.__name__, model.__tenant_column__,
                                 issubclass(model, SharedDownTree))
    return out


def test_every_tenant_model_names_a_real_column() -> None:
    tables = tenant_tables()
    # The metadata really is read: the known kinds are all there.
    assert {"unit", "membership", "report_value", "report_evidence"} <= set(tables)
    assert {"framework", "indicator", "reporting_period"} <= {
        t.name for t in tables.values() if t.shared_down}
    for table in tables.values():
        columns = Base.metadata.tables[table.name].columns
        assert table.column in columns, f"{table.model}.__tenant_column__ = {table.column!r}"


def _visible(column: str, function: str) -> re.Pattern[str]:
    """How pg_policies prints ``column IN (SELECT function())`` (tenants/rls.py)."""
    return re.compile(rf"\(\b{re.escape(column)} IN \( SELECT {function}\(\) AS {function}\)\)")


def _catalog() -> tuple[dict[str, tuple[bool, bool, str, bool]], list[tuple]]:
    with system_scope("test: read the catalog"):
        tables = {row[0]: tuple(row[1:]) for row in db.session.execute(text(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
            "       pg_get_userbyid(c.relowner),"
            "       pg_has_role(current_user, c.relowner, 'MEMBER')"
            "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"))}
        policies = list(db.session.execute(text(
            "SELECT tablename, policyname, permissive, roles, cmd, qual, with_check"
            "  FROM pg_policies WHERE schemaname = current_schema()")))
    return tables, policies


def problems_of(catalog_tables: dict, policies: list[tuple],
                expected: dict[str, TenantTable]) -> list[str]:
    """Everything wrong with row-level security, one line per problem."""
    problems: list[str] = []
    for name, table in sorted(expected.items()):
        if name not in catalog_tables:
            problems.append(f"{name} ({table.model}): no such table in the database")
            continue
        enabled, forced, owner, app_is_owner = catalog_tables[name]
        if not enabled:
            problems.append(f"{name}: row-level security is not enabled")
        if forced:
            problems.append(f"{name}: row-level security is forced (the owner must stay "
                            "exempt: migrations run as it)")
        if app_is_owner:
            problems.append(f"{name}: the app's role is, or is a member of, its owner "
                            f"{owner}, so row-level security does not apply to it")
        own = [p for p in policies if p[0] == name]
        for command in COMMANDS:
            covering = [p for p in own if p[2] == "PERMISSIVE" and p[4] in (command, "ALL")]
            if (name, command) in NO_POLICY:
                if covering:
                    problems.append(f"{name}: {command} must have no policy "
                                    f"({NO_POLICY[name, command]})")
                continue
            if not covering:
                problems.append(f"{name}: no policy covers {command}")
                continue
            anchor = ANCHOR.get((name, command), table.column)
            function = ("portal_visible_down_units" if table.shared_down and command == "SELECT"
                        else "portal_visible_units")
            wanted = _visible(anchor, function)
            for _t, policy, _perm, roles, _cmd, using, check in covering:
                if not ({"public", "portal_app"} & set(roles)):
                    problems.append(f"{name}: policy {policy} does not apply to the app role")
                # USING filters the rows read, updated, deleted; WITH CHECK the rows written,
                # and where a policy has none, PostgreSQL checks new rows with its USING.
                check = using if check is None else check
                expressions = {"SELECT": [using], "DELETE": [using], "INSERT": [check],
                               "UPDATE": [using, check]}[command]
                for expression in expressions:
                    if (name, command) in OPEN_POLICY and expression == "true":
                        continue
                    if expression is None or not wanted.search(expression):
                        problems.append(
                            f"{name}: policy {policy} lets {command} through without "
                            f"testing {anchor} against {function}(): {expression!r}")
    for name, (enabled, *_rest) in sorted(catalog_tables.items()):
        if name not in expected and (enabled or any(p[0] == name for p in policies)):
            problems.append(f"{name}: row-level security on a table no TenantScoped model "
                            "maps, so the ORM guard does not know it")
    return problems


@pytest.mark.postgres
def test_every_tenant_table_has_its_row_level_security() -> None:
    catalog_tables, policies = _catalog()
    expected = tenant_tables()
    problems = problems_of(catalog_tables, policies, expected)
    assert not problems, "\n".join(problems)
    # The exceptions above name tables and commands that exist.
    for name, command in {*NO_POLICY, *OPEN_POLICY, *ANCHOR}:
        assert name in expected and command in COMMANDS


@pytest.mark.postgres
def test_the_check_finds_what_it_is_for() -> None:
    """The checker itself: a table stripped of a policy, or never given one, is caught."""
    catalog_tables, policies = _catalog()
    expected = tenant_tables()
    assert problems_of(catalog_tables, policies, expected) == []
    without = [p for p in policies if p[1] != "report_value_tenant"]
    assert problems_of(catalog_tables, without, expected) == [
        f"report_value: no policy covers {c}" for c in COMMANDS]
    disabled = {**catalog_tables,
                "report_evidence": (False, *catalog_tables["report_evidence"][1:])}
    assert problems_of(disabled, policies, expected) == [
        "report_evidence: row-level security is not enabled"]
    # a shared-down table's read policy used for writes too: a commune could edit
    loose = [(*p[:4], "ALL", *p[5:]) if p[1] == "framework_read" else p for p in policies]
    read = next(p[5] for p in policies if p[1] == "framework_read")
    lets = ("framework: policy framework_read lets {} through without testing owner_unit_id"
            " against portal_visible_units(): {!r}")
    assert [f for f in problems_of(catalog_tables, loose, expected) if "framework_read" in f] \
        == [lets.format(command, read) for command in ("INSERT", "UPDATE", "UPDATE", "DELETE")]
    opened = [(*p[:5], "true", "true") if p[1] == "membership_tenant" else p
              for p in policies]
    assert problems_of(catalog_tables, opened, expected) == [
        f"membership: policy membership_tenant lets {c} through without testing unit_id "
        f"against portal_visible_units(): 'true'"
        for c in COMMANDS for _ in range(2 if c == "UPDATE" else 1)]
    new_model = {**expected, "imagined_table": TenantTable("imagined_table", "Imagined",
                                                           "unit_id", False)}
    assert problems_of(catalog_tables, policies, new_model) == [
        "imagined_table (Imagined): no such table in the database"]


@pytest.mark.postgres
def test_this_pass_connects_as_it_says() -> None:
    """scripts/test.sh's last pass runs as portal_bypass (TENANT_RLS=bypassed) to prove
    the ORM guard alone; every other pass as a role row-level security applies to."""
    with system_scope("test: role facts"):
        bypasses = db.session.scalar(text(
            "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"))
    assert bypasses is (os.environ.get("TENANT_RLS") == "bypassed")

