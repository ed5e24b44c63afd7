"""The audit log: every change recorded with before and after and who made it; nobody can
change or delete an entry; each reader sees only their units' history."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from portal.audit.entry import AuditEntry
from portal.extensions import db
from portal.reports.report import UnitReport
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.conftest import csrf_token


def entries(object_type: str, object_id: int) -> list[AuditEntry]:
    with system_scope("test"):
        return list(db.session.scalars(select(AuditEntry).where(
            AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
            .order_by(AuditEntry.id)))


def test_a_value_saved_on_the_web_is_recorded_with_who_and_what(
        app: Flask, report_id: int, login_as) -> None:
    with system_scope("test"):
        report = db.session.get(UnitReport, report_id)
        row = next(v for v in report.values if v.numerator is None and v.value is None)
        value_id, version = row.id, row.version
    client = login_as("drafter")
    token = csrf_token(client, f"/reports/{report_id}")
    response = client.post(f"/reports/{report_id}/values/{value_id}", data={
        "numerator": "7", "denominator": "10", "value": "7", "version": str(version),
        "csrf_token": token}, headers={"HX-Request": "true"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    changed = [e for e in entries("report_value", value_id) if e.action == "update"]
    assert changed, "the save left no audit entry"
    last = changed[-1]
    assert last.actor == "u.drafter" and last.user_id is not None
    with system_scope("test"):
        assert last.unit_id == db.session.scalar(select(Unit.id).where(Unit.code == "D1"))
    assert set(last.after) & {"numerator", "value"}
    assert all(v is None for v in last.before.values())


def test_creation_and_workflow_steps_are_recorded(report_id: int) -> None:
    created = entries("unit_report", report_id)
    assert created[0].action == "create" and created[0].after["status"] == "draft"
    from portal.reports.service import run_transition

    with system_scope("test"):
        report = db.session.get(UnitReport, report_id)
        for task in report.tasks:
            task.status = "done_on_time"
        run_transition(report, "hand_over", None, "")
        db.session.commit()
        run_transition(report, "submit", None, "")
        db.session.commit()
    status = [e for e in entries("unit_report", report_id) if "status" in (e.after or {})]
    assert [(e.before["status"], e.after["status"]) for e in status[-2:]] == [
        ("draft", "with_head"), ("with_head", "submitted")]
    with system_scope("test"):
        steps = list(db.session.scalars(select(AuditEntry).where(
            AuditEntry.object_type == "report_transition")))
    assert [s.after["action"] for s in steps][-2:] == ["hand_over", "submit"]


def test_passwords_are_never_written_down(world) -> None:
    from portal.accounts.service import find_user, set_password

    with system_scope("test"):
        user = find_user("u.drafter")
        set_password(user, "Mot-mat-khau-moi-2026")
        db.session.commit()
        user_id = user.id
    change = [e for e in entries("user_account", user_id) if e.action == "update"][-1]
    assert change.after["password_hash"] == "*** (changed)"
    created = entries("user_account", user_id)[0]
    assert created.after["password_hash"] == "***"


@pytest.mark.parametrize("statement", ["update", "delete"])
def test_nobody_can_change_or_delete_an_entry(report_id: int, statement: str) -> None:
    with system_scope("test"):
        before = db.session.scalar(select(AuditEntry.id).limit(1))
        assert before is not None
        query = (update(AuditEntry).values(actor="someone else") if statement == "update"
                 else delete(AuditEntry))
        with pytest.raises(DBAPIError, match="audit log cannot be changed"):
            db.session.execute(query.where(AuditEntry.id == before))
        db.session.rollback()
        assert db.session.scalar(select(AuditEntry.actor).where(AuditEntry.id == before))


def test_each_reader_sees_their_units_history(report_id: int, login_as) -> None:
    admin = login_as("admin")          # tenant administrator of D1
    page = admin.get("/units/D1/audit")
    assert page.status_code == 200
    assert f'href="/audit/unit_report/{report_id}"' in page.get_data(as_text=True)
    assert admin.get("/units/D2/audit").status_code == 404
    assert admin.get("/units/P1/audit").status_code == 404
    assert login_as("leader").get("/units/D1/audit").status_code == 403
    exported = admin.get("/units/D1/audit.csv?type=unit_report")
    assert exported.status_code == 200 and exported.data.startswith("\ufeff".encode())
    lines = exported.get_data(as_text=True).splitlines()
    assert lines[0].lstrip("\ufeff").startswith("id,at,unit_id,actor,object_type")
    assert all(",unit_report," in line for line in lines[1:]) and len(lines) > 1
    # one object's history: whoever sees the report
    assert login_as("drafter").get(f"/audit/unit_report/{report_id}").status_code == 200
    assert admin.get("/audit/unit_report/999999").status_code == 404
    assert admin.get("/audit/not_a_table/1").status_code == 404


def test_a_date_that_is_not_a_date_is_said_so(report_id: int, login_as) -> None:
    page = login_as("admin").get("/units/D1/audit?since=31/02/2026")
    assert page.status_code == 422       # the filter is not silently dropped
    html = page.get_data(as_text=True)
    assert 'id="since" name="since"' in html and "is-invalid" in html
    assert re.search(r'<div class="invalid-feedback"[^>]*>[^<]*31/02/2026', html)


def test_another_province_sees_nothing(report_id: int) -> None:
    from tenants.scoping import Scope, use_scope

    with system_scope("test"):
        other = db.session.scalar(select(Unit.id).where(Unit.code == "Q1"))
    with use_scope(Scope(subtree_roots=frozenset({other}))):
        assert db.session.scalar(select(AuditEntry.id).where(
            AuditEntry.object_type == "unit_report")) is None


def test_a_command_is_named_as_the_actor(app: Flask, world) -> None:
    result = app.test_cli_runner().invoke(args=["units", "add", "C19", "Xã Mười Chín",
                                                "--kind", "commune", "--parent", "D1"])
    assert result.exit_code == 0, result.output
    with system_scope("test"):
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.object_type == "unit", AuditEntry.label == "C19"))
    assert entry.action == "create" and entry.actor.startswith("system: ")
    assert entry.user_id is None and entry.after["name"] == "Xã Mười Chín"
