"""Each enum's label beside the enum, registered once (portal/labels.py): every value has
one, templates read them by the same names, and the consolidation job reports its steps as
codes the page labels, not as English sentences."""

from __future__ import annotations

import enum

import pytest
from flask import Flask, render_template_string
from sqlalchemy import select

from portal import labels
from portal.audit.capture import AUDITED
from portal.audit.entry import AUDIT_ACTION_LABELS, OBJECT_TYPE_LABELS, AuditAction
from portal.dashboard.service import TRACK_LABELS, Track
from portal.extensions import db
from portal.frameworks.framework import (
    NODE_KIND_LABELS,
    VERSION_STATUS_LABELS,
    NodeKind,
    VersionStatus,
)
from portal.frameworks.indicator import (
    AGGREGATION_LABELS,
    INDICATOR_KIND_LABELS,
    TIME_BEHAVIOUR_LABELS,
    Aggregation,
    IndicatorKind,
    TimeBehaviour,
)
from portal.plans.history import PLAN_ACTION_LABELS, PlanAction
from portal.plans.plan import REVISION_STATUS_LABELS, RevisionStatus
from portal.reports import consolidation as consolidation_module
from portal.reports.consolidation import (
    RUN_STATUS_LABELS,
    STEP_LABELS,
    Consolidation,
    ConsolidationStep,
    RunStatus,
    launch,
    run_consolidation,
)
from portal.reports.report import (
    REPORT_ACTION_LABELS,
    REPORT_STATUS_IN_TEXT,
    REPORT_STATUS_LABELS,
    TASK_STATUS_LABELS,
    ReportAction,
    ReportStatus,
    TaskStatus,
)
from tenants.membership import ROLE_LABELS, Role
from tenants.scoping import system_scope
from tenants.unit import UNIT_KIND_LABELS, Unit, UnitKind
from tests.builders import framework, make_framework


@pytest.mark.parametrize(("kind", "mapping"), [
    (UnitKind, UNIT_KIND_LABELS), (Role, ROLE_LABELS), (NodeKind, NODE_KIND_LABELS),
    (VersionStatus, VERSION_STATUS_LABELS), (IndicatorKind, INDICATOR_KIND_LABELS),
    (TimeBehaviour, TIME_BEHAVIOUR_LABELS), (Aggregation, AGGREGATION_LABELS),
    (RevisionStatus, REVISION_STATUS_LABELS), (PlanAction, PLAN_ACTION_LABELS),
    (ReportStatus, REPORT_STATUS_LABELS), (TaskStatus, TASK_STATUS_LABELS),
    (RunStatus, RUN_STATUS_LABELS), (ConsolidationStep, STEP_LABELS),
    (ReportStatus, REPORT_STATUS_IN_TEXT), (AuditAction, AUDIT_ACTION_LABELS),
    (ReportAction, REPORT_ACTION_LABELS),
])
def test_every_value_has_a_label(kind: type[enum.StrEnum], mapping: dict) -> None:
    assert set(mapping) == set(kind)
    assert any(m is mapping for m, _missing in labels.TEMPLATE_LABELS.values())


def test_the_dashboard_tracks_and_the_audited_tables_have_labels() -> None:
    assert set(TRACK_LABELS) == {v for k, v in vars(Track).items() if k.isupper()}
    audited = {table for table in db.metadata.tables if table in AUDITED}
    assert set(OBJECT_TYPE_LABELS) == audited


def test_templates_read_the_labels_registered_once(app: Flask) -> None:
    for name in labels.TEMPLATE_LABELS:
        assert app.jinja_env.globals[name].__module__ == "portal.labels", name
    with app.test_request_context():
        shown = render_template_string(
            "{{ role_label('head') }}|{{ revision_status_label('submitted') }}|"
            "{{ task_status_label(None) }}|{{ step_label('computing') }}|{{ kind_label('x') }}")
    assert shown == "Thủ trưởng đơn vị|Đã trình|Chưa chọn|tính các chỉ tiêu và tỷ lệ báo cáo|x"


def test_the_job_reports_step_codes_and_the_page_labels_them(app: Flask, world, login_as,
                                                             monkeypatch) -> None:
    fid = make_framework("P1")
    with system_scope("test"):
        province = db.session.scalar(select(Unit).where(Unit.code == "P1"))
        row = launch(province, framework(fid), 2026, None)
        db.session.commit()
        consolidation_id, root = row.id, row.unit_id
    seen: list[tuple[int, str]] = []
    monkeypatch.setattr(consolidation_module, "job_progress",
                        lambda progress, step: seen.append((progress, step)))
    assert run_consolidation(consolidation_id, root) == "done"
    assert seen == [(5, "reading"), (30, "computing"), (70, "compiling"), (90, "writing"),
                    (100, "done")]
    with system_scope("test"):
        row = db.session.get(Consolidation, consolidation_id)
        assert row.step == "done"
        row.status, row.step = RunStatus.RUNNING.value, ConsolidationStep.COMPUTING.value
        db.session.commit()
    page = login_as("platform").get(f"/consolidations/{consolidation_id}/progress")
    assert ('data-testid="progress-step">Đang chạy · tính các chỉ tiêu và tỷ lệ báo cáo</div>'
            in page.get_data(as_text=True))
