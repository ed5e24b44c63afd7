"""Documents of record on the web: make the PDF of record of a plan, a report or a
consolidated report; the signer uploads it signed; the clerk issues it with the
organisation's signature; anyone who may see the document downloads the files.

Load through the guard (404), check the role (403), act through ``portal.signing`` inside
``unit_of_work()``, render a read-model (``portal.signing.pages``).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.plans.plan import UnitPlan
from portal.problems import DomainError
from portal.reports.consolidation import Consolidation
from portal.reports.report import UnitReport
from portal.signing.flow import approve, has_clerk, issue_number
from portal.signing.image import ImageKind
from portal.signing.images import upload_image
from portal.signing.pages import document_history, record_page, unit_signing_page
from portal.signing.record import DocumentRecord, RecordKind
from portal.signing.service import (
    Source,
    accept_signed,
    record_file,
    record_of,
    request_record,
    sign_as_organisation,
    signed_file,
    signer_role,
    source_of_consolidation,
    source_of_plan,
    source_of_report,
)
from portal.unit_of_work import unit_of_work
from tenants.access import unit_or_404, visible_or_404
from tenants.membership import Role

bp = Blueprint("signing", __name__)

PARTIES = frozenset({Role.HEAD, Role.LEADER, Role.CLERK})


def _party_or_403(unit_id: int) -> None:
    """The people of the signing: the unit's head, leader and clerk."""
    if not g.reach.roles_in(unit_id) & PARTIES:
        abort(403)


def _start(unit_id: int, source: Callable[[], Source],
           approval: Callable[[Source], DocumentRecord] | None = None) -> ResponseReturnValue:
    """Make the PDF of record; ``source`` is called once the caller's role and
    confirmation were checked. A report or consolidated report not numbered yet, in a
    unit with a clerk, is approved by its signer instead (``approval``): the clerk issues
    it with its number and the PDF is made then."""
    _party_or_403(unit_id)
    if request.form.get("confirm") != "1":
        abort(422)
    try:
        found = source()
        if approval is not None and found.doc_number is None and has_clerk(unit_id):
            if signer_role(found.kind.value) not in g.reach.roles_in(unit_id):
                abort(403)
            with unit_of_work():
                record_id = approval(found).id
            flash(_("Approved: the clerk issues it with the register's number."), "success")
        else:
            record_id = request_record(found, current_user.id,
                                       attachment=request.form.get("attachment") == "1")
    except DomainError as exc:
        flash(" ".join(exc.messages), "danger")
        return redirect(request.referrer or url_for("units.home")), 303
    return redirect(url_for("signing.show", record_id=record_id), 303)


@bp.route("/plans/<int:plan_id>/record", methods=["POST"])
@login_required
def plan_record(plan_id: int) -> ResponseReturnValue:
    plan = visible_or_404(UnitPlan, plan_id)
    return _start(plan.unit_id, lambda: source_of_plan(plan))


@bp.route("/reports/<int:report_id>/record", methods=["POST"])
@login_required
def report_record(report_id: int) -> ResponseReturnValue:
    report = visible_or_404(UnitReport, report_id)
    return _start(report.unit_id, lambda: source_of_report(report),
                  lambda found: approve(found, current_user.id))


@bp.route("/consolidations/<int:consolidation_id>/record", methods=["POST"])
@login_required
def consolidation_record(consolidation_id: int) -> ResponseReturnValue:
    row = visible_or_404(Consolidation, consolidation_id)
    return _start(row.unit_id, lambda: source_of_consolidation(row),
                  lambda found: approve(found, current_user.id))


def _record_or_404(record_id: int) -> DocumentRecord:
    return visible_or_404(DocumentRecord, record_id)


def _page(record: DocumentRecord, problems: dict[str, str] | None = None,
          status: int = 200) -> ResponseReturnValue:
    return render_template("signing/record.html", problems=problems or {},
                           **vars(record_page(record, g.reach))), status


@bp.route("/records/<int:record_id>")
@login_required
def show(record_id: int) -> ResponseReturnValue:
    return _page(_record_or_404(record_id))


def _pdf(data: bytes, filename: str) -> Response:
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/records/<int:record_id>/record.pdf")
@login_required
def record_pdf(record_id: int) -> ResponseReturnValue:
    record = _record_or_404(record_id)
    if record.pdf_key is None:
        abort(404)
    return _pdf(*record_file(record))


@bp.route("/records/<int:record_id>/signed.pdf")
@login_required
def signed_pdf(record_id: int) -> ResponseReturnValue:
    record = _record_or_404(record_id)
    if record.final_key is None:
        abort(404)
    return _pdf(*signed_file(record))


def _uploaded() -> bytes | None:
    upload = request.files.get("file")
    return upload.read() if upload is not None and upload.filename else None


@bp.route("/records/<int:record_id>/sign", methods=["POST"])
@login_required
def sign(record_id: int) -> ResponseReturnValue:
    """The signer (the unit's head; the leader for a consolidated report) uploads the PDF
    of record signed with their own token."""
    record = _record_or_404(record_id)
    if signer_role(record.kind) not in g.reach.roles_in(record.unit_id):
        abort(403)
    data = _uploaded()
    if data is None:
        return _page(record, {"file": _("Choose the signed PDF file.")}, 422)
    try:
        with unit_of_work():
            accept_signed(record, data, current_user.id)
    except DomainError as exc:
        return _page(_record_or_404(record_id), exc.problems, 422)
    flash(_("The signature was verified and the signed PDF is kept."), "success")
    return redirect(url_for("signing.show", record_id=record_id), 303)


@bp.route("/records/<int:record_id>/number", methods=["POST"])
@login_required
def number(record_id: int) -> ResponseReturnValue:
    """The clerk issues the approved document: the register's next number and today's
    date, then its PDF of record made with them (a background job)."""
    record = _record_or_404(record_id)
    if Role.CLERK not in g.reach.roles_in(record.unit_id):
        abort(403)
    if request.form.get("confirm") != "1":
        abort(422)
    try:
        notation = issue_number(record, current_user.id)
    except DomainError as exc:
        return _page(_record_or_404(record_id), exc.problems, 422)
    flash(_("Issued with number %(number)s; the PDF of record is being made for the "
            "signer.", number=notation), "success")
    return redirect(url_for("signing.show", record_id=record_id), 303)


@bp.route("/records/<int:record_id>/issue", methods=["POST"])
@login_required
def issue(record_id: int) -> ResponseReturnValue:
    """The clerk issues: the organisation's signature, applied here with the configured
    certificate ("certificate") or uploaded, signed with the organisation's token."""
    record = _record_or_404(record_id)
    if Role.CLERK not in g.reach.roles_in(record.unit_id):
        abort(403)
    how = request.form.get("how")
    data = _uploaded() if how == "upload" else None
    if how not in ("certificate", "upload") or (how == "upload" and data is None):
        return _page(record, {"file": _("Choose the PDF signed with the organisation's "
                                        "certificate, or apply the configured one.")}, 422)
    try:
        with unit_of_work():
            if how == "certificate":
                sign_as_organisation(record, current_user.id)
            else:
                accept_signed(record, data or b"", current_user.id, organisation=True)
    except DomainError as exc:
        return _page(_record_or_404(record_id), exc.problems, 422)
    flash(_("Issued: the organisation's signature was applied and verified."), "success")
    return redirect(url_for("signing.show", record_id=record_id), 303)


@bp.app_template_global("document_steps")
def document_steps(kind: str, object_id: int) -> list:
    """The history of a document going out, for the page of a report or a consolidated
    report (the page already loaded the document through the tenant guard)."""
    return document_history(record_of(RecordKind(kind), object_id))


# ---- a unit's documents of record, and its signature and seal images ----------------------


@bp.route("/units/<code>/signing")
@login_required
def unit_signing(code: str) -> ResponseReturnValue:
    unit = unit_or_404(code)
    return render_template("signing/unit.html", problems={},
                           **vars(unit_signing_page(unit, g.reach)))


@bp.route("/units/<code>/signing/images", methods=["POST"])
@login_required
def upload_image_view(code: str) -> ResponseReturnValue:
    """An administrator of the unit (or above) uploads its seal or a person's signature."""
    unit = unit_or_404(code)
    if not g.reach.manages(unit.id):
        abort(403)
    try:
        kind = ImageKind(request.form.get("kind", ""))
    except ValueError:
        kind = None
    data = _uploaded()
    problems = {}
    if kind is None:
        problems["kind"] = _("Choose a seal or a signature.")
    if data is None:
        problems["file"] = _("Choose a PNG file.")
    if not problems:
        try:
            with unit_of_work():
                upload_image(unit, kind, request.form.get("user_id", type=int), data or b"",  # type: ignore[arg-type]  # checked above
                             current_user.id)
        except DomainError as exc:
            problems = exc.problems
    if problems:
        return render_template("signing/unit.html", problems=problems,
                               **vars(unit_signing_page(unit, g.reach))), 422
    flash(_("The image is kept."), "success")
    return redirect(url_for("signing.unit_signing", code=code), 303)

