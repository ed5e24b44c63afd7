"""Home (the caller's units) and the unit page: place in the tree, children, search."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import select

from portal.extensions import db
from portal.frameworks.service import duties_of
from tenants.access import unit_or_404
from tenants.tree import ancestors, children, descendant_counts, search_subtree
from tenants.unit import Unit

bp = Blueprint("units", __name__)


@bp.route("/")
@login_required
def home() -> ResponseReturnValue:
    reach = g.reach
    if reach.platform_admin:
        units = db.session.scalars(
            select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.search_name)).all()
    else:
        units = db.session.scalars(
            select(Unit).where(Unit.id.in_(list(reach.roles))).order_by(Unit.search_name)).all()
        if len(units) == 1:
            return redirect(url_for("units.show", code=units[0].code))
    return render_template("units/home.html", units=units,
                           counts=descendant_counts(u.id for u in units))


@bp.route("/units/<code>")
@login_required
def show(code: str) -> ResponseReturnValue:
    unit = unit_or_404(code)
    trail = ancestors(unit)
    visible = set(db.session.scalars(
        select(Unit.id).where(Unit.id.in_([uid for _c, _n, uid in trail]))))
    reads_subtree = g.reach.reads_subtree_of(unit.id)
    kids = children(unit) if reads_subtree else []
    return render_template(
        "units/show.html", unit=unit, trail=trail, visible_ancestors=visible,
        reads_subtree=reads_subtree, children=kids, duties=duties_of(unit),
        counts=descendant_counts(k.id for k in kids),
        roles=sorted(g.reach.roles_in(unit.id)), can_write=g.reach.can_write(unit.id))


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
