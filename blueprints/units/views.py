"""Home (the caller's units) and the unit page: place in the tree, children, search."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from portal.todo import todo_lists
from portal.unit_pages import home_units, unit_page
from tenants.access import unit_or_404
from tenants.tree import descendant_counts, search_subtree

bp = Blueprint("units", __name__)


@bp.route("/")
@login_required
def home() -> ResponseReturnValue:
    units = home_units(g.reach)
    if not g.reach.platform_admin and len(units) == 1:
        return redirect(url_for("units.show", code=units[0].code))
    return render_template("units/home.html", units=units,
                           counts=descendant_counts(u.id for u in units),
                           todo=todo_lists(units, g.reach))


@bp.route("/units/<code>")
@login_required
def show(code: str) -> ResponseReturnValue:
    unit = unit_or_404(code)
    return render_template("units/show.html", **vars(unit_page(unit, g.reach)))


@bp.route("/units/<code>/search")
@login_required
def search(code: str) -> ResponseReturnValue:
    unit = unit_or_404(code)
    if not g.reach.reads_subtree_of(unit.id):
        abort(404)
    query = request.args.get("q", "")[:100]
    results = search_subtree(unit, query) if query.strip() else []
    return render_template("units/_search_results.html", unit=unit, query=query,
                           results=results)
