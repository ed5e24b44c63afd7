"""The register of outgoing documents: the list of a unit's year, its Excel export,
numbers recorded from outside, the metadata of each document (JSON, XML), the paper
scan, recall and correction (Decree 30/2020/NĐ-CP Art. 15, 18, Appendix VI).

Load through the tenant guard (another unit's register: 404), check the caller's role
(the unit's head or administrator acts: else 403), act through ``portal.register`` inside
``unit_of_work()``, render a read-model of ``portal.register.pages``.
"""

from __future__ import annotations

import json

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
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from blueprints.safe_redirect import safe_next
from portal import clock
from portal.extensions import db
from portal.register.entry import RegisterEntry
from portal.register.metadata import file_stem, metadata, metadata_xml
from portal.register.pages import register_file, register_page
from portal.register.paper import attach_paper_scan, scan_storage
from portal.register.service import (
    RegisterError,
    issue_correction,
    keeps_register,
    recall,
    record_outside,
)
from portal.storage import StorageError
from portal.unit_of_work import unit_of_work
from tenants.access import unit_or_404
from tenants.unit import Unit

bp = Blueprint("register", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year() -> int:
    year = request.args.get("year", type=int)
    if year is None:
        return clock.today().year
    if not 1900 <= year <= 2999:
        abort(404)
    return year


def _keeper_or_403(unit: Unit) -> None:
    if not keeps_register(g.reach, unit.id):
        abort(403)


def _entry_or_404(unit: Unit, entry_id: int) -> RegisterEntry:
    entry = db.session.scalar(select(RegisterEntry).where(
        RegisterEntry.id == entry_id, RegisterEntry.unit_id == unit.id))
    if entry is None:
        abort(404)
    return entry


def _back(unit: Unit, year: int) -> str:
    fallback = url_for("register.index", code=unit.code, year=year)
    target = request.form.get("next")
    return safe_next(target) if target else fallback


def _refused(unit: Unit, year: int, exc: RegisterError) -> ResponseReturnValue:
    """The register page (read afresh: nothing of the refused change was kept), 422."""
    return render_template("register/index.html", problems=exc.problems,
                           **vars(register_page(unit_or_404(unit.code), year, g.reach))), 422


@bp.route("/units/<code>/register")
@login_required
def index(code: str) -> ResponseReturnValue:
    unit = unit_or_404(code)
    return render_template("register/index.html", problems={},
                           **vars(register_page(unit, _year(), g.reach)))


@bp.route("/units/<code>/register.xlsx")
@login_required
def workbook(code: str) -> ResponseReturnValue:
    unit = unit_or_404(code)
    data, filename = register_file(unit, _year())
    return Response(data, mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/units/<code>/register", methods=["POST"])
@login_required
def record(code: str) -> ResponseReturnValue:
    unit = unit_or_404(code)
    _keeper_or_403(unit)
    try:
        with unit_of_work():
            entry = record_outside(unit, request.form.to_dict(), current_user.id)
            year, notation = entry.year, entry.notation
    except RegisterError as exc:
        return _refused(unit, _year(), exc)
    flash(_("Number %(number)s was recorded in the register.", number=notation), "success")
    return redirect(url_for("register.index", code=unit.code, year=year))


@bp.route("/units/<code>/register/<int:entry_id>/metadata.json")
@login_required
def metadata_json(code: str, entry_id: int) -> ResponseReturnValue:
    entry = _entry_or_404(unit_or_404(code), entry_id)
    body = json.dumps(metadata(entry), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{file_stem(entry)}.json"'})


@bp.route("/units/<code>/register/<int:entry_id>/metadata.xml")
@login_required
def metadata_xml_file(code: str, entry_id: int) -> ResponseReturnValue:
    entry = _entry_or_404(unit_or_404(code), entry_id)
    return Response(metadata_xml(entry), mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{file_stem(entry)}.xml"'})


@bp.route("/units/<code>/register/<int:entry_id>/scan")
@login_required
def scan(code: str, entry_id: int) -> ResponseReturnValue:
    entry = _entry_or_404(unit_or_404(code), entry_id)
    if not entry.scan_key:
        abort(404)
    try:
        handle = scan_storage().open(entry.scan_key)
    except StorageError:
        abort(404)
    return send_file(handle, mimetype=entry.scan_content_type, as_attachment=True,
                     download_name=entry.scan_filename)


@bp.route("/units/<code>/register/<int:entry_id>/scan", methods=["POST"])
@login_required
def upload_scan(code: str, entry_id: int) -> ResponseReturnValue:
    unit = unit_or_404(code)
    _keeper_or_403(unit)
    entry = _entry_or_404(unit, entry_id)
    year = entry.year
    sent = request.files.get("file")
    try:
        with unit_of_work():
            attach_paper_scan(entry, (sent.filename or "") if sent else "",
                              sent.read() if sent else b"", current_user.id)
    except RegisterError as exc:
        return _refused(unit, year, exc)
    flash(_("The scan of the paper copy was kept with its number."), "success")
    return redirect(_back(unit, year))


@bp.route("/units/<code>/register/<int:entry_id>/recall", methods=["POST"])
@login_required
def recall_view(code: str, entry_id: int) -> ResponseReturnValue:
    unit = unit_or_404(code)
    _keeper_or_403(unit)
    entry = _entry_or_404(unit, entry_id)
    year = entry.year
    try:
        with unit_of_work():
            recall(entry, request.form.get("reason", ""), current_user.id)
    except RegisterError as exc:
        return _refused(unit, year, exc)
    flash(_("The document was recalled."), "success")
    return redirect(_back(unit, year))


@bp.route("/units/<code>/register/<int:entry_id>/correction", methods=["POST"])
@login_required
def correction(code: str, entry_id: int) -> ResponseReturnValue:
    unit = unit_or_404(code)
    _keeper_or_403(unit)
    entry = _entry_or_404(unit, entry_id)
    year = entry.year
    try:
        with unit_of_work():
            notation = issue_correction(entry, request.form.get("text", ""),
                                        current_user.id).notation
    except RegisterError as exc:
        return _refused(unit, year, exc)
    flash(_("Correction notice %(number)s was issued.", number=notation), "success")
    return redirect(_back(unit, year))
