"""Exports: a plan as Word (Decree 30 format) or a print view; a framework's coverage."""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import select

from blueprints.plans.views import _plan_or_404
from portal.extensions import db
from portal.frameworks.framework import Framework, FrameworkVersion
from portal.frameworks.indicator import Indicator
from portal.plans.coverage_export import coverage_workbook
from portal.plans.export import build_plan_docx, date_line
from portal.plans.plan import PlanRevision, UnitPlan
from portal.plans.service import CoverageRow, coverage, latest, province_of
from tenants.access import visible_or_404
from tenants.tree import unit_labels
from tenants.unit import Unit

bp = Blueprint("exports", __name__)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COMMITTEES = ("province", "district", "commune")


def _revision(plan: UnitPlan) -> PlanRevision:
    number = request.args.get("revision", type=int)
    if number is None:
        return latest(plan)
    revision = next((r for r in plan.revisions if r.number == number), None)
    if revision is None:
        abort(404)
    return revision


def _header_names(unit: Unit) -> tuple[str, str | None]:
    """(the issuing body, the line above it) as the document header prints them."""
    if unit.kind in COMMITTEES:
        return unit.name, "Ủy ban nhân dân"
    province = unit_labels([province_of(unit.id)])
    return unit.name, "UBND " + next(iter(province.values()))[1] if province else None


def plan_document(plan: UnitPlan, revision: PlanRevision) -> tuple[bytes, str]:
    """The .docx of a revision and its file name; shared with the API."""
    unit = db.session.get(Unit, plan.unit_id)
    name, parent = _header_names(unit)
    indicators = {i.id: i for i in db.session.scalars(select(Indicator).where(
        Indicator.version_id == revision.framework_version_id))}
    coordinators = {uid: label[1] for uid, label in unit_labels(
        c.coordinating_unit_id for t in revision.task_rows for c in t.coordinating).items()}
    framework_number = db.session.scalar(select(FrameworkVersion.doc_number).where(
        FrameworkVersion.id == revision.framework_version_id))
    data = build_plan_docx(revision, unit_name=name, parent_name=parent,
                           indicators=indicators, coordinators=coordinators,
                           framework_number=framework_number)
    label = (revision.doc_number or f"du-thao-{revision.number}").replace("/", "-")
    return data, f"ke-hoach-{unit.code}-{label}.docx"


@bp.route("/plans/<int:plan_id>/export.docx")
@login_required
def plan_docx(plan_id: int) -> ResponseReturnValue:
    plan = _plan_or_404(plan_id)
    data, filename = plan_document(plan, _revision(plan))
    return Response(data, mimetype=DOCX, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/plans/<int:plan_id>/print")
@login_required
def plan_print(plan_id: int) -> ResponseReturnValue:
    plan = _plan_or_404(plan_id)
    revision = _revision(plan)
    unit = db.session.get(Unit, plan.unit_id)
    name, parent = _header_names(unit)
    indicators = {i.id: i for i in db.session.scalars(select(Indicator).where(
        Indicator.version_id == revision.framework_version_id))}
    labels = unit_labels(c.coordinating_unit_id for t in revision.task_rows
                         for c in t.coordinating)
    return render_template("plans/print.html", plan=plan, revision=revision, unit=unit,
                           body_name=name, parent_name=parent, indicators=indicators,
                           labels=labels, date_text=date_line(revision.place or "",
                                                              revision.issued_on))


def _coverage_or_403(framework_id: int) -> tuple[
        Framework, str | None, list[CoverageRow], list[int], list[int], dict[int, tuple[str, str]]]:
    framework = visible_or_404(Framework, framework_id)
    if not g.reach.owns_frameworks_of(framework.owner_unit_id):
        abort(403)
    kind = request.args.get("kind") or None
    if kind not in (None, "department", "district", "commune"):
        abort(400)
    rows, expected, without = coverage(framework, {kind} if kind else None)
    ids = set(expected) | {u for r in rows for u in r.implementing} | {
        u for r in rows for u, _reason in r.not_applicable}
    return framework, kind, rows, expected, without, unit_labels(ids)


@bp.route("/frameworks/<int:framework_id>/coverage")
@login_required
def framework_coverage(framework_id: int) -> ResponseReturnValue:
    framework, kind, rows, expected, without, labels = _coverage_or_403(framework_id)
    return render_template("plans/coverage.html", framework=framework, kind=kind, rows=rows,
                           expected=expected, without=without, labels=labels)


@bp.route("/frameworks/<int:framework_id>/coverage.xlsx")
@login_required
def framework_coverage_xlsx(framework_id: int) -> ResponseReturnValue:
    framework, kind, rows, _expected, without, labels = _coverage_or_403(framework_id)
    kinds = dict(db.session.execute(select(Unit.id, Unit.kind).where(
        Unit.id.in_(without))).tuples().all()) if without else {}
    data = coverage_workbook(framework.name, rows, without, labels, kinds)
    return Response(data, mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="bao-phu-{framework.id}'
                               f'{"-" + kind if kind else ""}.xlsx"'})
