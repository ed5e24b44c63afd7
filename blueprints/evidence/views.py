"""Evidence files of a report: upload, download, remove (moved out of the reports pages).

Load the report through the guard (404), check the caller writes its unit (403), act
through ``portal.reports.evidence`` inside ``unit_of_work()``; a refusal shows the report
page (``portal.reports.pages``) with the problem.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.checks import writer_or_403
from portal.reports.evidence import EvidenceError, ReportEvidence, add_evidence, remove_evidence
from portal.reports.pages import report_page, report_part
from portal.reports.report import UnitReport
from portal.storage import StorageError, evidence_storage
from portal.unit_of_work import unit_of_work
from tenants.access import visible_or_404

bp = Blueprint("evidence", __name__)



def _evidence_or_404(report: UnitReport, evidence_id: int) -> ReportEvidence:
    evidence = report_part(ReportEvidence, report, evidence_id)
    if evidence is None:
        abort(404)
    return evidence


@bp.route("/reports/<int:report_id>/evidence", methods=["POST"])
@login_required
def upload(report_id: int) -> ResponseReturnValue:
    report = visible_or_404(UnitReport, report_id)
    writer_or_403(report.unit_id)
    sent = request.files.get("file")
    indicator_id = request.form.get("indicator_id", type=int)
    if indicator_id is not None and indicator_id not in {v.indicator_id for v in report.values}:
        abort(422)
    if sent is None or not sent.filename:
        return _evidence_problem(report, _("Choose a file to upload."))
    try:
        with unit_of_work():
            add_evidence(report, sent.filename, sent.read(), current_user.id, indicator_id)
    except EvidenceError as exc:
        return _evidence_problem(report, str(exc))
    flash(_("The file was added as evidence."), "success")
    return redirect(url_for("reports.show", report_id=report_id) + "#evidence")


def _evidence_problem(report: UnitReport, message: str) -> ResponseReturnValue:
    """The report page (read afresh: nothing of the refused change was kept), 422."""
    fresh = visible_or_404(UnitReport, report.id)
    return render_template("reports/show.html", problems={"file": message},
                           **vars(report_page(fresh, g.reach))), 422


@bp.route("/reports/<int:report_id>/evidence/<int:evidence_id>")
@login_required
def download(report_id: int, evidence_id: int) -> ResponseReturnValue:
    report = visible_or_404(UnitReport, report_id)
    evidence = _evidence_or_404(report, evidence_id)
    try:
        handle = evidence_storage().open(evidence.storage_key)
    except StorageError:
        abort(404)
    return send_file(handle, mimetype=evidence.content_type, as_attachment=True,
                     download_name=evidence.filename, max_age=0)


@bp.route("/reports/<int:report_id>/evidence/<int:evidence_id>/delete", methods=["POST"])
@login_required
def delete(report_id: int, evidence_id: int) -> ResponseReturnValue:
    report = visible_or_404(UnitReport, report_id)
    writer_or_403(report.unit_id)
    evidence = _evidence_or_404(report, evidence_id)
    try:
        with unit_of_work():
            remove_evidence(report, evidence)
    except EvidenceError as exc:
        return _evidence_problem(report, str(exc))
    flash(_("The file was removed."), "success")
    return redirect(url_for("reports.show", report_id=report_id) + "#evidence")


