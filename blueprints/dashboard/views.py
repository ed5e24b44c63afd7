"""The leaders' dashboard: a unit's subtree at a glance, drill-down to the units below,
where each number comes from, a print view and an Excel export.

Load the unit through the guard (404), check that the caller reads its subtree (403),
build the figures in ``portal.dashboard``; nothing here writes.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, g, render_template, request, send_file
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from portal.dashboard.export import build_dashboard_xlsx
from portal.dashboard.national import NoNationalPlan, national_board
from portal.dashboard.service import (
    REPORTING_FIGURES,
    Dashboard,
    NothingToShow,
    build,
    choose,
    indicator_sources,
    reporting_sources,
)
from portal.frameworks.indicator import INDICATOR_KIND_LABELS
from portal.frameworks.pages import indicator_by_code
from tenants.access import unit_or_404
from tenants.tree import ancestors
from tenants.unit import Unit, UnitKind

bp = Blueprint("dashboard", __name__)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _leader_unit_or_404(code: str) -> Unit:
    """The unit, if the caller sees it (else 404) and reads its whole subtree (else 403)."""
    unit = unit_or_404(code)
    if not g.reach.reads_subtree_of(unit.id):
        abort(403)
    return unit


def _choice() -> tuple[int | None, int | None]:
    return request.args.get("framework", type=int), request.args.get("year", type=int)


def _as_now() -> bool:
    """The tree as it is now (default), or ``?view=as_was``: as it was in that year."""
    return request.args.get("view") != "as_was"


def _trail(unit: Unit) -> list[tuple[str, str, bool]]:
    """The breadcrumb: each unit above, and whether the caller may open its dashboard.

    Read before anything else: leaving the system scope the names are read under
    expires what the session holds (tenants.scoping), and every row would reload.
    """
    return [(code, name, g.reach.reads_subtree_of(uid)) for code, name, uid in ancestors(unit)]


def _dashboard_or_page(unit: Unit, trail: list) -> Dashboard | tuple:
    framework_id, year = _choice()
    try:
        return build(unit, framework_id, year, as_now=_as_now())
    except NothingToShow:
        asked = framework_id is not None or year is not None
        message = (_("There is no reporting period for that plan and year.") if asked else
                   _("No plan with reporting periods is in force for this unit yet."))
        return render_template("dashboard/empty.html", unit=unit, trail=trail,
                               message=message), 404 if asked else 200


@bp.route("/units/<code>/dashboard")
@login_required
def show(code: str) -> ResponseReturnValue:
    unit = _leader_unit_or_404(code)
    trail = _trail(unit)
    board = _dashboard_or_page(unit, trail)
    if not isinstance(board, Dashboard):
        return board
    return render_template("dashboard/show.html", board=board, unit=unit, trail=trail)


@bp.route("/units/<code>/dashboard/print")
@login_required
def print_view(code: str) -> ResponseReturnValue:
    unit = _leader_unit_or_404(code)
    board = _dashboard_or_page(unit, _trail(unit))
    if not isinstance(board, Dashboard):
        return board
    return render_template("dashboard/print.html", board=board, unit=unit)


@bp.route("/units/<code>/dashboard.xlsx")
@login_required
def workbook(code: str) -> ResponseReturnValue:
    unit = _leader_unit_or_404(code)
    board = _dashboard_or_page(unit, _trail(unit))
    if not isinstance(board, Dashboard):
        return board
    data = build_dashboard_xlsx(board)
    return send_file(io.BytesIO(data), mimetype=XLSX_TYPE, as_attachment=True,
                     download_name=f"bang-dieu-khien-{unit.code}-{board.year}.xlsx", max_age=0)


@bp.route("/units/<code>/dashboard/sources")
@login_required
def sources(code: str) -> ResponseReturnValue:
    """Where a number comes from: ``?indicator=CODE`` or ``?figure=submitted`` (…)."""
    unit = _leader_unit_or_404(code)
    trail = _trail(unit)
    framework_id, year = _choice()
    try:
        framework, _frameworks, period, _years = choose(unit, framework_id, year)
    except NothingToShow:
        abort(404)
    page = max(1, request.args.get("page", 1, type=int))
    code_asked, figure = request.args.get("indicator"), request.args.get("figure")
    indicator = None
    if code_asked:
        published = framework.published()   # choose() offers only published frameworks
        indicator = indicator_by_code(published, code_asked) if published else None
        if indicator is None:
            abort(404)
        found = indicator_sources(unit, framework, period, indicator, page, _as_now())
    elif figure in REPORTING_FIGURES:
        found = reporting_sources(unit, framework, period, figure, page, _as_now())
    else:
        abort(404)
    return render_template("dashboard/sources.html", unit=unit, trail=trail,
                           framework=framework, period=period, indicator=indicator,
                           figure=figure, found=found, as_now=_as_now())


@bp.route("/units/<code>/national")
@login_required
def national(code: str) -> ResponseReturnValue:
    """The ministry's dashboard: the national plan's indicators over the provinces."""
    unit = unit_or_404(code)
    if unit.kind != UnitKind.NATION:
        abort(404)      # not a ministry: there is no national dashboard to refuse
    if not g.reach.reads_subtree_of(unit.id):
        abort(403)
    try:
        board = national_board(unit, request.args.get("year", type=int))
    except NoNationalPlan:
        return render_template("dashboard/empty.html", unit=unit, trail=[],
                               message=_("This unit owns no published national plan yet."))
    return render_template("dashboard/national.html", board=board, kinds=INDICATOR_KIND_LABELS)
