"""Consolidations on the web: start one for a unit's subtree, watch it, read and export the
snapshot (moved out of the reports pages).

Load through the guard (404), check the caller consolidates at or above the unit (403).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from portal.frameworks.service import visible_frameworks
from portal.jobs import JobsUnavailable
from portal.reports.consolidation import (
    Consolidation,
    ConsolidationError,
    RunStatus,
    is_stale,
    launch,
    queue,
)
from portal.reports.consolidation_export import (
    build_consolidation_docx,
    build_consolidation_xlsx,
)
from tenants.access import unit_or_404, visible_or_404
from tenants.membership import CONSOLIDATING_ROLES
from tenants.tree import unit_labels
from tenants.unit import Unit

bp = Blueprint("consolidations", __name__)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/units/<code>/consolidations", methods=["POST"])
@login_required
def start(code: str):  # type: ignore[no-untyped-def]
    unit = unit_or_404(code)
    if not g.reach.holds_above(unit.id, CONSOLIDATING_ROLES):
        abort(403)
    period = db.session.scalar(select(ReportingPeriod).where(
        ReportingPeriod.id == request.form.get("period_id", type=int)))
    if period is None or period.framework_id not in {f.id for f in visible_frameworks(unit)}:
        abort(422)
    framework = visible_or_404(Framework, period.framework_id)
    try:
        consolidation = launch(unit, framework, period.year, current_user.id)
    except ConsolidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("reports.index", code=unit.code)), 303
    consolidation_id = consolidation.id
    fresh = consolidation.status == RunStatus.QUEUED.value and consolidation.progress == 0
    db.session.commit()  # the worker must see the row before it gets the job
    if fresh:
        try:
            queue(consolidation)
        except JobsUnavailable:
            db.session.rollback()
            row = visible_or_404(Consolidation, consolidation_id)
            db.session.delete(row)
            db.session.commit()
            flash(_("The consolidation cannot start now: the job queue is not reachable. "
                    "Reports can still be written and submitted; try again later."), "danger")
            return redirect(url_for("reports.index", code=unit.code)), 303
    return redirect(url_for("consolidations.show", consolidation_id=consolidation_id))


def _consolidation_context(consolidation: Consolidation) -> dict:
    result = consolidation.result or {}
    units = {c["unit"] for c in result.get("children", [])}
    labels = {code: name for _id, (code, name) in unit_labels(db.session.scalars(
        select(Unit.id).where(Unit.code.in_(units | {result.get("unit", "")})))).items()}
    framework = db.session.scalar(select(Framework).where(
        Framework.id == consolidation.framework_id))
    indicators = {}
    version = framework.published() if framework else None
    if version is not None:
        indicators = {i.code: i for i in db.session.scalars(select(Indicator).where(
            Indicator.version_id == version.id))}
    rows = [(code, [value] + [c["indicators"].get(code, {}) for c in result.get("children", [])])
            for code, value in result.get("indicators", {}).items()]
    return {"consolidation": consolidation, "result": result, "names": labels, "rows": rows,
            "indicators": indicators, "stale": is_stale(consolidation),
            "unit": db.session.get(Unit, consolidation.unit_id), "framework": framework}


@bp.route("/consolidations/<int:consolidation_id>")
@login_required
def show(consolidation_id: int):  # type: ignore[no-untyped-def]
    row = visible_or_404(Consolidation, consolidation_id)
    return render_template("reports/consolidation.html", **_consolidation_context(row))


@bp.route("/consolidations/<int:consolidation_id>/progress")
@login_required
def progress(consolidation_id: int):  # type: ignore[no-untyped-def]
    row = visible_or_404(Consolidation, consolidation_id)
    response = render_template("reports/_progress.html", consolidation=row)
    headers = {"HX-Refresh": "true"} if row.status in ("done", "failed") else {}
    return response, 200, headers


@bp.app_template_global()
def run_status_label(status: str) -> str:
    return {"queued": _("Waiting to start"), "running": _("Running"), "done": _("Done"),
            "failed": _("Failed")}.get(status, status)


@bp.app_template_global()
def step_label(step: str) -> str:
    return {"reading the reports": _("reading the reports"),
            "computing the indicators and rates": _("computing the indicators and rates"),
            "compiling the narrative": _("compiling the narrative"),
            "writing the snapshot": _("writing the snapshot"), "done": _("done"),
            "failed": _("failed")}.get(step, step)


def _finished_or_404(consolidation_id: int) -> Consolidation:
    row = visible_or_404(Consolidation, consolidation_id)
    if row.status != RunStatus.DONE.value:
        abort(404)
    return row


def _reports_to(unit: Unit) -> str:
    """Whom a unit's consolidated report goes to: the unit above, or its own people's
    committee at the top (the Department of Science and Technology reports for it)."""
    above = unit_labels([unit.parent_id]).get(unit.parent_id) if unit.parent_id else None
    return above[1] if above else f"Ủy ban nhân dân {unit.name}"


@bp.route("/consolidations/<int:consolidation_id>/report.docx")
@login_required
def docx(consolidation_id: int):  # type: ignore[no-untyped-def]
    row = _finished_or_404(consolidation_id)
    context = _consolidation_context(row)
    unit = context["unit"]
    version = context["framework"].published() if context["framework"] else None
    parent = "Ủy ban nhân dân" if unit.kind in ("province", "district", "commune") else None
    data = build_consolidation_docx(
        row.result, body=unit.name, parent=parent, year=row.year, number_text="     /BC",
        framework_number=version.doc_number if version else None,
        indicators=context["indicators"], names=context["names"],
        place=unit.name.split(" ", 1)[-1] if " " in unit.name else unit.name,
        recipients=[f"{_reports_to(unit)} (để báo cáo)"])
    return Response(data, mimetype=DOCX_TYPE, headers={
        "Content-Disposition": f'attachment; filename="bao-cao-tong-hop-{unit.code}-'
                               f'{row.year}-{row.number}.docx"'})


@bp.route("/consolidations/<int:consolidation_id>/workbook.xlsx")
@login_required
def xlsx(consolidation_id: int):  # type: ignore[no-untyped-def]
    row = _finished_or_404(consolidation_id)
    context = _consolidation_context(row)
    unit = context["unit"]
    data = build_consolidation_xlsx(
        row.result, indicators=context["indicators"], names=context["names"],
        title=f"Tổng hợp năm {row.year} — {unit.name} (bản {row.number})")
    return Response(data, mimetype=XLSX_TYPE, headers={
        "Content-Disposition": f'attachment; filename="tong-hop-{unit.code}-{row.year}-'
                               f'{row.number}.xlsx"'})
