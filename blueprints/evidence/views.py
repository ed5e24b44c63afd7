"""Evidence files of a report: upload, download, remove (moved out of the reports pages).

Load the report through the guard (404), check the caller writes its unit (403), act
through ``portal.reports.evidence``.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.reports.views import _context, _part_or_404, _writer_or_403
from portal.extensions import db
from portal.reports.evidence import EvidenceError, ReportEvidence, add_evidence, remove_evidence
from portal.reports.report import UnitReport
from portal.storage import StorageError, evidence_storage
from tenants.access import visible_or_404

bp = Blueprint("evidence", __name__)


@bp.route("/reports/<int:report_id>/evidence", methods=["POST"])
@login_required
def upload(report_id: int):  # type: ignore[no-untyped-def]
    report = visible_or_404(UnitReport, report_id)
    _writer_or_403(report)
    sent = request.files.get("file")
    indicator_id = request.form.get("indicator_id", type=int)
    if indicator_id is not None and indicator_id not in {v.indicator_id for v in report.values}:
        abort(422)
    if sent is None or not sent.filename:
        return _evidence_problem(report, _("Choose a file to upload."))
    try:
        add_evidence(report, sent.filename, sent.read(), current_user.id, indicator_id)
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
def download(report_id: int, evidence_id: int):  # type: ignore[no-untyped-def]
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
def delete(report_id: int, evidence_id: int):  # type: ignore[no-untyped-def]
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


