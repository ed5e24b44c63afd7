"""Consolidations on the web: start one for a unit's subtree, watch it, read and export the
snapshot (moved out of the reports pages).

Load through the guard (404), check the caller consolidates at or above the unit (403),
start through ``portal.reports.consolidation.start``; the consolidated narrative is
edited (autosave) by the unit's consolidators only (``consolidation_narrative.may_edit``);
pages and files come from ``portal.reports.pages`` and
``portal.reports.consolidation_documents``.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.autosave import autosave
from portal.frameworks.framework import Framework
from portal.reports.consolidation import (
    Consolidation,
    ConsolidationError,
    RunStatus,
)
from portal.reports.consolidation import (
    start as start_consolidation,
)
from portal.reports.consolidation_file import (
    MIMETYPES,
    FileKind,
    is_current,
    latest_files,
    prepare,
)
from portal.reports.consolidation_narrative import may_edit, save_section
from portal.reports.consolidation_narrative import texts as narrative_texts
from portal.reports.consolidation_narrative import versions as narrative_versions
from portal.reports.pages import consolidation_page, consolidation_units
from portal.reports.report import NARRATIVE
from portal.reports.workflow import chosen_period, may_consolidate
from portal.unit_of_work import unit_of_work
from tenants.access import unit_or_404, visible_or_404

bp = Blueprint("consolidations", __name__)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_KINDS = tuple(k.value for k in FileKind)


@bp.route("/units/<code>/consolidations", methods=["POST"])
@login_required
def start(code: str) -> ResponseReturnValue:
    unit = unit_or_404(code)
    if not may_consolidate(g.reach, unit.id):
        abort(403)
    period = chosen_period(unit, request.form.get("period_id", type=int))
    if period is None:
        abort(422)
    framework = visible_or_404(Framework, period.framework_id)
    try:
        consolidation_id = start_consolidation(unit, framework, period.year, current_user.id)
    except ConsolidationError as exc:  # refused, or the job queue is not reachable
        for message in exc.messages:
            flash(message, "danger")
        return redirect(url_for("reports.index", code=unit.code)), 303
    return redirect(url_for("consolidations.show", consolidation_id=consolidation_id))


@bp.route("/consolidations/<int:consolidation_id>")
@login_required
def show(consolidation_id: int) -> ResponseReturnValue:
    row = visible_or_404(Consolidation, consolidation_id)
    files = latest_files(row)
    return render_template("reports/consolidation.html", files=files,
                           current_files={k: is_current(f, row) for k, f in files.items()},
                           **vars(consolidation_page(row, g.reach, **_pages_asked())))


def _pages_asked() -> dict:
    """The pages of the per-unit tables asked for, and their filters by name or code."""
    return {"page": request.args.get("page", 1, type=int),
            "query": request.args.get("q", "")[:100],
            "wrote_page": request.args.get("wrote_page", 1, type=int),
            "wrote_query": request.args.get("wrote_q", "")[:100]}


@bp.route("/consolidations/<int:consolidation_id>/units")
@login_required
def units(consolidation_id: int) -> ResponseReturnValue:
    """A page of the indicators of the units directly below (htmx: ``?page``, ``?q``)."""
    row = _finished_or_404(consolidation_id)
    return render_template("reports/_consolidation_units.html",
                           tables=consolidation_units(row, **_pages_asked()))


@bp.route("/consolidations/<int:consolidation_id>/passages")
@login_required
def passages(consolidation_id: int) -> ResponseReturnValue:
    """A page of what each unit wrote (htmx: ``?wrote_page``, ``?wrote_q``)."""
    row = _finished_or_404(consolidation_id)
    return render_template("reports/_consolidation_passages.html",
                           tables=consolidation_units(row, **_pages_asked()))


@bp.route("/consolidations/<int:consolidation_id>/progress")
@login_required
def progress(consolidation_id: int) -> ResponseReturnValue:
    row = visible_or_404(Consolidation, consolidation_id)
    response = render_template("reports/_progress.html", consolidation=row)
    headers = {"HX-Refresh": "true"} if row.status in (RunStatus.DONE, RunStatus.FAILED) else {}
    return response, 200, headers


def _finished_or_404(consolidation_id: int) -> Consolidation:
    row = visible_or_404(Consolidation, consolidation_id)
    if row.status != RunStatus.DONE.value:
        abort(404)
    return row


def _attachment(data: bytes, mimetype: str, filename: str) -> Response:
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def _file_context(row: Consolidation, kind: str) -> dict:
    file = latest_files(row).get(kind)
    return {"consolidation": row, "kind": kind, "file": file,
            "file_current": file is not None and is_current(file, row)}


@bp.route("/consolidations/<int:consolidation_id>/files/<kind>", methods=["POST"])
@login_required
def prepare_file(consolidation_id: int, kind: str) -> ResponseReturnValue:
    """Prepare the Word or Excel file in the background (never built in a request)."""
    row = _finished_or_404(consolidation_id)
    if kind not in FILE_KINDS:
        abort(404)
    with unit_of_work():
        prepare(row, kind, current_user.id)
    if request.headers.get("HX-Request"):
        row = _finished_or_404(consolidation_id)
        return render_template("reports/_file.html", **_file_context(row, kind))
    return redirect(url_for("consolidations.show", consolidation_id=consolidation_id)), 303


@bp.route("/consolidations/<int:consolidation_id>/files/<kind>")
@login_required
def file_status(consolidation_id: int, kind: str) -> ResponseReturnValue:
    """The file's state, polled by the page while it is being prepared."""
    row = _finished_or_404(consolidation_id)
    if kind not in FILE_KINDS:
        abort(404)
    return render_template("reports/_file.html", **_file_context(row, kind))


def _prepared(consolidation_id: int, kind: str) -> Response:
    """The prepared file's bytes; 404 until one is ready (prepare it first)."""
    row = _finished_or_404(consolidation_id)
    file = latest_files(row).get(kind)
    if file is None or not file.ready or file.data is None:
        abort(404)
    return _attachment(file.data, MIMETYPES[FileKind(kind)], file.filename)


@bp.route("/consolidations/<int:consolidation_id>/report.docx")
@login_required
def docx(consolidation_id: int) -> ResponseReturnValue:
    return _prepared(consolidation_id, FileKind.DOCX.value)


@bp.route("/consolidations/<int:consolidation_id>/workbook.xlsx")
@login_required
def xlsx(consolidation_id: int) -> ResponseReturnValue:
    return _prepared(consolidation_id, FileKind.XLSX.value)


def narrative_labels() -> dict[str, str]:
    return {"results": _("Results achieved"),
            "difficulties": _("Difficulties and obstacles, and their causes"),
            "proposals": _("Proposals and recommendations")}


@bp.route("/consolidations/<int:consolidation_id>/narrative/<name>", methods=["POST"])
@login_required
def save_narrative_view(consolidation_id: int, name: str) -> ResponseReturnValue:
    """Autosave one section of the consolidated narrative (the snapshot stays as it is)."""
    row = _finished_or_404(consolidation_id)
    if not may_edit(g.reach, row.unit_id):
        abort(403)
    if name not in NARRATIVE:
        abort(404)
    version = request.form.get("force_version") or request.form.get("version")

    def save() -> int:
        return save_section(row, name, request.form.get("text", ""), version, current_user.id)

    def current() -> tuple[dict[str, str], int]:
        fresh = _finished_or_404(consolidation_id)
        return {name: narrative_texts(fresh)[name]}, narrative_versions(fresh)[name]

    return autosave(f"consolidation-narrative-{name}", [name], save, current=current,
                    mine={name: request.form.get("text", "")}, labels=narrative_labels(),
                    reload_url=url_for("consolidations.show", consolidation_id=row.id))
