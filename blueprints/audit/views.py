"""The audit log: a unit's subtree (its administrators and platform operators), one
object's history (whoever sees the object), and the CSV export. Read-only."""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from portal.audit.capture import AUDITED
from portal.audit.entry import AuditEntry
from portal.audit.service import (
    AuditFilter,
    as_csv,
    check_filter,
    object_entries,
    page_of,
    unit_entries,
)
from portal.dates import DateError, parse_date
from tenants.access import unit_or_404
from tenants.unit import Unit

bp = Blueprint("audit", __name__)
ACTIONS = ("create", "update", "delete")


def _admin_unit_or_404(code: str) -> Unit:
    unit = unit_or_404(code)
    if not g.reach.manages(unit.id):
        abort(403)
    return unit


def _filter() -> AuditFilter:
    wanted = AuditFilter(object_type=request.args.get("type", "")[:40],
                         action=request.args.get("action", "")[:12],
                         actor=request.args.get("actor", "")[:80])
    if wanted.object_type not in AUDITED:
        wanted.object_type = ""
    if wanted.action not in ACTIONS:
        wanted.action = ""
    for name in ("since", "until"):
        try:
            setattr(wanted, name, parse_date(request.args.get(name)))
        except DateError as exc:
            wanted.problems[name] = str(exc)
    check_filter(wanted)
    return wanted


@bp.route("/units/<code>/audit")
@login_required
def unit_log(code: str) -> ResponseReturnValue:
    unit = _admin_unit_or_404(code)
    wanted = _filter()
    page = max(1, request.args.get("page", 1, type=int))
    if wanted.problems:    # say what is wrong with the filter instead of ignoring it
        return _page(unit, wanted, [], 0, 1), 422
    entries, total = page_of(unit_entries(unit, wanted), page)
    return _page(unit, wanted, entries, total, page)


def _page(unit: Unit, wanted: AuditFilter, entries: list[AuditEntry], total: int,
          page: int) -> str:
    return render_template("audit/unit.html", unit=unit, wanted=wanted, entries=entries,
                           total=total, page=page, types=sorted(AUDITED), actions=ACTIONS)


@bp.route("/units/<code>/audit.csv")
@login_required
def unit_log_csv(code: str) -> ResponseReturnValue:
    unit = _admin_unit_or_404(code)
    wanted = _filter()
    if wanted.problems:
        return _page(unit, wanted, [], 0, 1), 422
    data = as_csv(unit_entries(unit, wanted))
    return Response(data, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=nhat-ky-{unit.code}.csv"})


@bp.route("/audit/<object_type>/<int:object_id>")
@login_required
def object_log(object_type: str, object_id: int) -> ResponseReturnValue:
    if object_type not in AUDITED:
        abort(404)
    entries = object_entries(object_type, object_id)
    if not entries:
        abort(404)   # nothing, or nothing the caller may see
    return render_template("audit/object.html", entries=entries, object_type=object_type,
                           object_id=object_id)
