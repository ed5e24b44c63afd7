"""A plan's documents (Word in the Decree 30 format, a print view) and a framework's
coverage by the units' plans: routes of the plans blueprint (they were a separate
"exports" blueprint). The documents and pages are built in ``portal.plans``."""

from __future__ import annotations

from flask import Response, abort, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from blueprints.plans.views import _plan_or_404, bp
from portal.frameworks.framework import Framework
from portal.plans.export import plan_document
from portal.plans.pages import CoveragePage, coverage_file, coverage_page
from portal.plans.pages import plan_print as plan_print_page
from portal.plans.plan import PlanRevision, UnitPlan
from portal.plans.service import latest
from tenants.access import visible_or_404

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _revision(plan: UnitPlan) -> PlanRevision:
    number = request.args.get("revision", type=int)
    if number is None:
        return latest(plan)
    revision = next((r for r in plan.revisions if r.number == number), None)
    if revision is None:
        abort(404)
    return revision


def _attachment(data: bytes, mimetype: str, filename: str) -> Response:
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/plans/<int:plan_id>/export.docx")
@login_required
def plan_docx(plan_id: int) -> ResponseReturnValue:
    plan = _plan_or_404(plan_id)
    data, filename = plan_document(plan, _revision(plan))
    return _attachment(data, DOCX, filename)


@bp.route("/plans/<int:plan_id>/print")
@login_required
def plan_print(plan_id: int) -> ResponseReturnValue:
    plan = _plan_or_404(plan_id)
    return render_template("plans/print.html", **vars(plan_print_page(plan, _revision(plan))))


def _coverage_or_403(framework_id: int) -> CoveragePage:
    framework = visible_or_404(Framework, framework_id)
    if not g.reach.owns_frameworks_of(framework.owner_unit_id):
        abort(403)
    kind = request.args.get("kind") or None
    if kind not in (None, "department", "district", "commune"):
        abort(400)
    return coverage_page(framework, kind)


@bp.route("/frameworks/<int:framework_id>/coverage")
@login_required
def framework_coverage(framework_id: int) -> ResponseReturnValue:
    return render_template("plans/coverage.html", **vars(_coverage_or_403(framework_id)))


@bp.route("/frameworks/<int:framework_id>/coverage.xlsx")
@login_required
def framework_coverage_xlsx(framework_id: int) -> ResponseReturnValue:
    data, filename = coverage_file(_coverage_or_403(framework_id))
    return _attachment(data, XLSX, filename)
