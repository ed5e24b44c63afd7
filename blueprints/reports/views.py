"""Yearly reports on the web: open, fill in with autosave, submit, review.

Same shape as the plan pages: load through the guard (404), check the role in the
report's unit (403), act through ``portal.reports.service``, commit once.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.accounts.user import User
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from portal.frameworks.service import visible_frameworks
from portal.jobs import JobsUnavailable
from portal.plans.service import StaleEdit
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
from portal.reports.evidence import EvidenceError, ReportEvidence, add_evidence, remove_evidence
from portal.reports.report import (
    NARRATIVE,
    ReportTask,
    ReportTransition,
    ReportValue,
    TaskStatus,
    UnitReport,
)
from portal.reports.service import (
    ReportError,
    changes_since_last_submission,
    locked,
    open_report,
    period_of,
    run_transition,
    save_narrative,
    save_task_status,
    save_value,
    value_fields,
)
from portal.storage import StorageError, evidence_storage
from tenants.access import unit_or_404, visible_or_404
from tenants.membership import CONSOLIDATING_ROLES, REVIEW_ROLES
from tenants.tree import unit_labels
from tenants.unit import Unit

bp = Blueprint("reports", __name__)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _writer_or_403(report: UnitReport) -> None:
    if not g.reach.can_write(report.unit_id):
        abort(403)


def _part_or_404(model, report: UnitReport, part_id: int):  # type: ignore[no-untyped-def]
    part = db.session.scalar(select(model).where(model.id == part_id,
                                                 model.report_id == report.id))
    if part is None:
        abort(404)
    return part


@bp.route("/units/<code>/reports")
@login_required
def index(code: str):  # type: ignore[no-untyped-def]
    unit = unit_or_404(code)
    frameworks = visible_frameworks(unit)  # its own ones too: a province consolidates them
    periods = db.session.scalars(select(ReportingPeriod).where(
        ReportingPeriod.framework_id.in_([f.id for f in frameworks]))
        .order_by(ReportingPeriod.year.desc())).all()
    reports = {r.period_id: r for r in db.session.scalars(
        select(UnitReport).where(UnitReport.unit_id == unit.id))}
    may_consolidate = g.reach.holds_above(unit.id, CONSOLIDATING_ROLES)
    consolidations = {}
    if may_consolidate:
        for period in periods:
            consolidations[period.id] = db.session.scalar(select(Consolidation).where(
                Consolidation.unit_id == unit.id, Consolidation.period_id == period.id)
                .order_by(Consolidation.number.desc()).limit(1))
    return render_template("reports/index.html", unit=unit, periods=periods, reports=reports,
                           frameworks={f.id: f for f in frameworks},
                           can_write=g.reach.can_write(unit.id),
                           may_consolidate=may_consolidate, consolidations=consolidations)


@bp.route("/units/<code>/reports", methods=["POST"])
@login_required
def open_view(code: str):  # type: ignore[no-untyped-def]
    unit = unit_or_404(code)
    if not g.reach.can_write(unit.id):
        abort(403)
    period = db.session.scalar(select(ReportingPeriod).where(
        ReportingPeriod.id == request.form.get("period_id", type=int)))
    frameworks = {f.id for f in visible_frameworks(unit)}
    if period is None or period.framework_id not in frameworks:
        flash(_("Choose the period to report on."), "danger")
        return redirect(url_for("reports.index", code=unit.code)), 303
    try:
        report = open_report(unit, period, current_user.id)
    except ReportError as exc:
        db.session.rollback()
        for problem in exc.problems.values():
            flash(problem, "danger")
        return redirect(url_for("reports.index", code=unit.code)), 303
    db.session.commit()
    return redirect(url_for("reports.show", report_id=report.id))


def _context(report: UnitReport) -> dict:
    period = period_of(report)
    indicators = {i.id: i for i in db.session.scalars(select(Indicator).where(
        Indicator.version_id == report.framework_version_id))}
    transitions = db.session.scalars(select(ReportTransition).where(
        ReportTransition.report_id == report.id).order_by(ReportTransition.id)).all()
    users = {u.id: u.full_name or u.username for u in db.session.scalars(
        select(User).where(User.id.in_({t.user_id for t in transitions} - {None})))}
    return {
        "report": report, "period": period, "unit": db.session.get(Unit, report.unit_id),
        "framework": db.session.scalar(select(Framework).where(
            Framework.id == period.framework_id)),
        "indicators": indicators, "transitions": transitions, "users": users,
        "editable": report.status == "draft" and not locked(report)
        and g.reach.can_write(report.unit_id),
        "locked": locked(report), "can_write": g.reach.can_write(report.unit_id),
        "can_review": g.reach.holds_above(report.unit_id, REVIEW_ROLES),
        "statuses": [s.value for s in TaskStatus], "narrative": NARRATIVE,
        "value_fields": value_fields, "changes": changes_since_last_submission(report),
        "evidence": db.session.scalars(select(ReportEvidence).where(
            ReportEvidence.report_id == report.id).order_by(ReportEvidence.id)).all(),
    }


@bp.route("/reports/<int:report_id>")
@login_required
def show(report_id: int):  # type: ignore[no-untyped-def]
    report = visible_or_404(UnitReport, report_id)
    return render_template("reports/show.html", **_context(report))


def _fragment(template: str, status: int, **context):  # type: ignore[no-untyped-def]
    return render_template(f"plans/{template}", now=clock.now(), **context), status


def _autosave(report: UnitReport, target: str, fields: list[str], action, current, mine,  # type: ignore[no-untyped-def]
              readings: dict[str, str] | None = None):
    """Run a save; answer with the status line (and how a number was read), or the
    conflict, or the field messages."""
    try:
        version = action()
        db.session.commit()
    except (StaleEdit, StaleDataError) as error:
        db.session.rollback()
        stale = error if isinstance(error, StaleEdit) else StaleEdit(*current())
        return _fragment("_conflict.html", 409, target=target, stale=stale, mine=mine,
                         reload_url=url_for("reports.show", report_id=report.id),
                         action=request.path)
    except ReportError as exc:
        db.session.rollback()
        return _fragment("_status.html", 422, target=target, errors=exc.problems,
                         fields=fields, version=None)
    return _fragment("_status.html", 200, target=target, errors={}, fields=fields,
                     version=version, readings=readings or {})


@bp.route("/reports/<int:report_id>/values/<int:value_id>", methods=["POST"])
@login_required
def save_value_view(report_id: int, value_id: int):  # type: ignore[no-untyped-def]
    report = visible_or_404(UnitReport, report_id)
    _writer_or_403(report)
    row = _part_or_404(ReportValue, report, value_id)
    version = request.form.get("force_version") or request.form.get("version")
    readings: dict[str, str] = {}

    def action() -> int:
        readings.update(save_value(row, report, request.form.to_dict(), version))
        return row.version

    def current():  # type: ignore[no-untyped-def]
        fresh = _part_or_404(ReportValue, visible_or_404(UnitReport, report_id), value_id)
        return value_fields(fresh), fresh.version

    return _autosave(report, f"value-{row.id}",
                     ["value", "numerator", "denominator", "yes_no", "text", "note"],
                     action, current, request.form.to_dict(), readings)


@bp.route("/reports/<int:report_id>/tasks/<int:task_id>", methods=["POST"])
@login_required
def save_task_view(report_id: int, task_id: int):  # type: ignore[no-untyped-def]
    report = visible_or_404(UnitReport, report_id)
    _writer_or_403(report)
    row = _part_or_404(ReportTask, report, task_id)
    version = request.form.get("force_version") or request.form.get("version")

    def action() -> int:
        save_task_status(row, report, request.form.get("status", ""),
                         request.form.get("result", ""), version)
        return row.version

    def current():  # type: ignore[no-untyped-def]
        fresh = _part_or_404(ReportTask, visible_or_404(UnitReport, report_id), task_id)
        return {"status": fresh.status or "", "result": fresh.result}, fresh.version

    return _autosave(report, f"rtask-{row.id}", ["status", "result"], action, current,
                     request.form.to_dict())


@bp.route("/reports/<int:report_id>/narrative/<name>", methods=["POST"])
@login_required
def save_narrative_view(report_id: int, name: str):  # type: ignore[no-untyped-def]
    report = visible_or_404(UnitReport, report_id)
    _writer_or_403(report)
    if name not in NARRATIVE:
        abort(404)
    version = request.form.get("force_version") or request.form.get("version")

    def action() -> int:
        save_narrative(report, name, request.form.get("text", ""), version)
        return report.section_version(name)

    def current():  # type: ignore[no-untyped-def]
        fresh = visible_or_404(UnitReport, report_id)
        return {name: getattr(fresh, name)}, fresh.section_version(name)

    return _autosave(report, f"narrative-{name}", [name], action, current,
                     {name: request.form.get("text", "")})


TRANSITIONS = {"submit": "writer", "return": "reviewer", "accept": "reviewer",
               "reopen": "reviewer"}


@bp.route("/reports/<int:report_id>/transitions", methods=["POST"])
@login_required
def transition(report_id: int):  # type: ignore[no-untyped-def]
    report = visible_or_404(UnitReport, report_id)
    action = request.form.get("action", "")
    who = TRANSITIONS.get(action)
    if who is None:
        abort(422)
    allowed = g.reach.can_write(report.unit_id) if who == "writer" else \
        g.reach.holds_above(report.unit_id, REVIEW_ROLES)
    if not allowed:
        abort(403)
    reason = request.form.get("reason", "")
    try:
        try:
            run_transition(report, action, current_user.id, reason)
            db.session.commit()
        except StaleDataError:
            # An autosave landed between the page and the click (leaving a text field
            # saves it): act once more on the report as it is now, which is what was meant.
            db.session.rollback()
            run_transition(visible_or_404(UnitReport, report_id), action, current_user.id,
                           reason)
            db.session.commit()
    except ReportError as exc:
        db.session.rollback()
        return render_template("reports/show.html", problems=exc.problems,
                               **_context(visible_or_404(UnitReport, report_id))), 422
    except StaleDataError:
        db.session.rollback()
        flash(_("The report was changed at the same moment; check it and try again."),
              "warning")
        return redirect(url_for("reports.show", report_id=report_id)), 303
    flash({"submit": _("The report was submitted."), "return": _("The report was returned "
           "for correction."), "accept": _("The report was accepted."),
           "reopen": _("The report was reopened.")}[action], "success")
    return redirect(url_for("reports.show", report_id=report.id))


# ---- evidence files ----------------------------------------------------------------------


@bp.route("/reports/<int:report_id>/evidence", methods=["POST"])
@login_required
def upload_evidence(report_id: int):  # type: ignore[no-untyped-def]
    report = visible_or_404(UnitReport, report_id)
    _writer_or_403(report)
    upload = request.files.get("file")
    indicator_id = request.form.get("indicator_id", type=int)
    if indicator_id is not None and indicator_id not in {v.indicator_id for v in report.values}:
        abort(422)
    if upload is None or not upload.filename:
        return _evidence_problem(report, _("Choose a file to upload."))
    try:
        add_evidence(report, upload.filename, upload.read(), current_user.id, indicator_id)
    except EvidenceError as exc:
        return _evidence_problem(report, str(exc))
    db.session.commit()
    flash(_("The file was added as evidence."), "success")
    return redirect(url_for("reports.show", report_id=report.id) + "#evidence")


def _evidence_problem(report: UnitReport, message: str):  # type: ignore[no-untyped-def]
    db.session.rollback()
    return render_template("reports/show.html", problems={"file": message},
                           **_context(visible_or_404(UnitReport, report.id))), 422


@bp.route("/reports/<int:report_id>/evidence/<int:evidence_id>")
@login_required
def download_evidence(report_id: int, evidence_id: int):  # type: ignore[no-untyped-def]
    report = visible_or_404(UnitReport, report_id)
    evidence = _part_or_404(ReportEvidence, report, evidence_id)
    try:
        handle = evidence_storage().open(evidence.storage_key)
    except StorageError:
        abort(404)
    return send_file(handle, mimetype=evidence.content_type, as_attachment=True,
                     download_name=evidence.filename, max_age=0)


@bp.route("/reports/<int:report_id>/evidence/<int:evidence_id>/delete", methods=["POST"])
@login_required
def delete_evidence(report_id: int, evidence_id: int):  # type: ignore[no-untyped-def]
    report = visible_or_404(UnitReport, report_id)
    _writer_or_403(report)
    evidence = _part_or_404(ReportEvidence, report, evidence_id)
    try:
        remove_evidence(report, evidence)
    except EvidenceError as exc:
        return _evidence_problem(report, str(exc))
    db.session.commit()
    flash(_("The file was removed."), "success")
    return redirect(url_for("reports.show", report_id=report.id) + "#evidence")


# ---- consolidation -----------------------------------------------------------------------


@bp.route("/units/<code>/consolidations", methods=["POST"])
@login_required
def consolidate(code: str):  # type: ignore[no-untyped-def]
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
    return redirect(url_for("reports.consolidation", consolidation_id=consolidation_id))


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
def consolidation(consolidation_id: int):  # type: ignore[no-untyped-def]
    row = visible_or_404(Consolidation, consolidation_id)
    return render_template("reports/consolidation.html", **_consolidation_context(row))


@bp.route("/consolidations/<int:consolidation_id>/progress")
@login_required
def consolidation_progress(consolidation_id: int):  # type: ignore[no-untyped-def]
    row = visible_or_404(Consolidation, consolidation_id)
    response = render_template("reports/_progress.html", consolidation=row)
    headers = {"HX-Refresh": "true"} if row.status in ("done", "failed") else {}
    return response, 200, headers


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
def consolidation_docx(consolidation_id: int):  # type: ignore[no-untyped-def]
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
        recipients=[f"{_reports_to(unit)} (để báo cáo)"], made_at=row.finished_at)
    return Response(data, mimetype=DOCX_TYPE, headers={
        "Content-Disposition": f'attachment; filename="bao-cao-tong-hop-{unit.code}-'
                               f'{row.year}-{row.number}.docx"'})


@bp.route("/consolidations/<int:consolidation_id>/workbook.xlsx")
@login_required
def consolidation_xlsx(consolidation_id: int):  # type: ignore[no-untyped-def]
    row = _finished_or_404(consolidation_id)
    context = _consolidation_context(row)
    unit = context["unit"]
    data = build_consolidation_xlsx(
        row.result, indicators=context["indicators"], names=context["names"],
        title=f"Tổng hợp năm {row.year} — {unit.name} (bản {row.number})",
        made_at=row.finished_at)
    return Response(data, mimetype=XLSX_TYPE, headers={
        "Content-Disposition": f'attachment; filename="tong-hop-{unit.code}-{row.year}-'
                               f'{row.number}.xlsx"'})
