"""scripts/citus_check.py finds what Citus would refuse (issue 22 item 7)."""

from __future__ import annotations

import importlib.util
import os
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("citus_check", ROOT / "scripts/citus_check.py")
citus_check = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
spec.loader.exec_module(citus_check)  # type: ignore[union-attr]
KEY = citus_check.DISTRIBUTION_KEY


def _schema(report_pk: list[str], value_fk: list[str], target: list[str]) -> dict:
    return {"tables": {"unit": True, "report": True, "value": True},
            "columns": {"report": {"id", KEY}, "value": {"id", "report_id"}, "unit": {"id"}},
            "constraints": [("pk_report", "p", "report", None, report_pk, None),
                            ("fk_value_report", "f", "value", "report", value_fk, target),
                            ("fk_report_unit", "f", "report", "unit", ["unit_id"], ["id"])]}


def test_a_keyed_schema_passes_and_each_rule_is_caught() -> None:
    keyed = _schema(["id", KEY], ["report_id", KEY], ["id", KEY])
    keyed["columns"]["value"].add(KEY)
    assert citus_check.schema_problems(keyed) == []
    broken = _schema(["id"], ["report_id"], ["id"])
    assert citus_check.schema_problems(broken) == [
        f"value: no {KEY} column (the distribution key)",
        f"report: primary key pk_report (id) lacks {KEY}",
        f"value: foreign key fk_value_report to report (report_id) lacks {KEY}: not co-located"]


def test_recursive_ctes_and_row_locks_in_the_code_are_found(tmp_path: Path) -> None:
    (tmp_path / "portal").mkdir()
    (tmp_path / "portal/x.py").write_text('q = "WITH RECURSIVE t AS (SELECT 1)"\n'
                                          "stmt = select(A).with_for_update()\n")
    assert [p.split(": ", 1)[0] for p in citus_check.code_problems(tmp_path)] == [
        "portal/x.py:1", "portal/x.py:2"]
    assert citus_check.code_problems(ROOT) == []   # none in the platform today


def test_a_reference_table_may_not_point_at_a_distributed_one() -> None:
    found = _schema(["id", KEY], ["report_id", KEY], ["id", KEY])
    found["columns"]["value"].add(KEY)
    found["constraints"].append(("fk_unit_report", "f", "unit", "report", ["report_id"], ["id"]))
    assert citus_check.schema_problems(found) == [
        "unit: foreign key fk_unit_report from a reference table to the distributed report"]


# Every tenant table is decided: distributed by province (migration 0034) or a reference
# table (citus_check.REFERENCE_TABLES). A new tenant table fails here until it is decided.
DISTRIBUTED = {
    "audit_entry", "consolidation", "consolidation_file", "consolidation_narrative",
    "document_ingest", "document_record", "indicator_mapping", "manual_reminder_unit",
    "notification", "plan_comment", "plan_revision", "plan_target", "plan_task",
    "plan_task_unit", "plan_transition", "register_counter", "register_entry",
    "report_evidence", "report_submission", "report_task", "report_transition",
    "report_value", "signing_image", "unit_plan", "unit_report", "validation_notice",
    "value_comment", "value_follow_up", "violation_explanation"}


@pytest.mark.postgres
def test_the_real_schema_is_ready_for_citus() -> None:
    with psycopg.connect(os.environ["MIGRATION_DATABASE_URL"]) as connection:
        found = citus_check.catalog(connection)
        keyed = dict(connection.execute("""
            SELECT table_name, is_nullable FROM information_schema.columns
             WHERE table_schema = 'public' AND column_name = %s""", (KEY,)).fetchall())
        triggers = {t for (t,) in connection.execute(
            "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE '%%\\_key'")}
        definition = connection.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
            ("fk_report_value_report_id_unit_report",)).fetchone()
    assert citus_check.schema_problems(found) == []
    rls = {t for t, on in found["tables"].items() if on}
    assert rls - citus_check.REFERENCE_TABLES == DISTRIBUTED
    # the key column, never empty, set on insert by a trigger, on every distributed table
    assert {t: keyed.get(t) for t in DISTRIBUTED} == {t: "NO" for t in DISTRIBUTED}
    assert triggers >= DISTRIBUTED
    assert definition == ("FOREIGN KEY (report_id, province_id)"
                          " REFERENCES unit_report(id, province_id) ON DELETE CASCADE",)


def test_a_new_row_carries_its_units_province(world, report_id: int) -> None:
    """The key is set by the database on insert (both engines), whatever inserted the row;
    a row about no unit gets 0."""
    from sqlalchemy import insert, select

    from portal.audit.entry import AuditEntry
    from portal.extensions import db
    from portal.reports.report import ReportSubmission, ReportTransition
    from tenants.scoping import system_scope
    from tenants.unit import Unit

    p1 = world.unit_ids["P1"]
    with system_scope("test"):
        db.session.execute(insert(ReportSubmission).values(
            report_id=report_id, unit_id=world.unit_ids["D1"], number=1,
            submitted_at=datetime(2026, 12, 4, tzinfo=UTC), content={}))
        keys = db.session.scalars(select(ReportSubmission.province_id).where(
            ReportSubmission.report_id == report_id)).all()
        assert keys == [p1]
        assert set(db.session.scalars(select(ReportTransition.province_id).where(
            ReportTransition.report_id == report_id))) <= {p1}
        entries = db.session.execute(
            select(AuditEntry.unit_id, AuditEntry.province_id, Unit.province_id)
            .outerjoin(Unit, Unit.id == AuditEntry.unit_id)).all()
        assert {unit for unit, _, _ in entries} >= {None, world.unit_ids["D1"]}
        assert [key for _, key, _ in entries] == [
            0 if unit is None else units_key for unit, _, units_key in entries]


@pytest.mark.postgres
def test_a_child_row_cannot_leave_its_parents_province(world, report_id: int) -> None:
    """The composite foreign key (report_id, province_id) -> unit_report (id, province_id)
    refuses a submission of P1's report filed under a unit of another province Q1."""
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from portal.extensions import db
    from portal.reports.report import ReportSubmission
    from tenants.scoping import system_scope

    with system_scope("test"), pytest.raises(IntegrityError,
                                             match="fk_report_submission_report_id"):
        db.session.execute(insert(ReportSubmission).values(
            report_id=report_id, unit_id=world.unit_ids["QD"], number=1,
            submitted_at=datetime(2026, 12, 4, tzinfo=UTC), content={}))


def test_a_run_at_the_ministry_tells_a_provinces_unit(national_world) -> None:
    """A validation run started at the ministry (a reference table) notifies a unit of a
    province (validation_notice, distributed in the unit's province): the reference is
    across provinces, so it must go to a reference table — both engines accept it."""
    from sqlalchemy import select

    from portal import clock
    from portal.extensions import db
    from portal.frameworks.period import ReportingPeriod
    from portal.validation.rule import ValidationRule
    from portal.validation.run import ValidationNotice, ValidationRun
    from tenants.scoping import system_scope
    from tests.builders import make_framework

    ids = national_world.unit_ids
    fid = make_framework("BKHCN")
    with system_scope("test"):
        period = db.session.scalars(select(ReportingPeriod).where(
            ReportingPeriod.framework_id == fid)).first()
        rule = ValidationRule(framework_id=fid, owner_unit_id=ids["BKHCN"], name="r",
                              left="1", right="2")
        run = ValidationRun(unit_id=ids["BKHCN"], period_id=period.id, started_by_id=None,
                            started_at=clock.now(), status="done", findings=[])
        db.session.add_all([rule, run])
        db.session.flush()
        db.session.add(ValidationNotice(unit_id=ids["NA.D1"], rule_id=rule.id,
                                        period_id=period.id, run_id=run.id, at=clock.now()))
        db.session.flush()
        assert db.session.execute(select(ValidationNotice.province_id, ValidationNotice.run_id)
                                  ).all() == [(ids["NA"], run.id)]
