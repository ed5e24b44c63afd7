"""A unit's report as its document: the Word file in the Decree 30 format and a print
view. Routes of the reports blueprint; the document is built in
``portal.reports.report_document``. Whoever may see the report may export it."""

from __future__ import annotations

from flask import Response, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from blueprints.reports.views import bp
from portal.reports.report import UnitReport
from portal.reports.report_document import report_document, report_docx
from tenants.access import visible_or_404

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.route("/reports/<int:report_id>/document.docx")
@login_required
def report_word(report_id: int) -> ResponseReturnValue:
    data, filename = report_docx(visible_or_404(UnitReport, report_id))
    return Response(data, mimetype=DOCX, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/reports/<int:report_id>/print")
@login_required
def report_print(report_id: int) -> ResponseReturnValue:
    page = report_document(visible_or_404(UnitReport, report_id))
    return render_template("reports/print.html", page=page)
