"""JSON API under /api/v1: bearer tokens, the token owner's rights, 404 outside reach."""

from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from blueprints.api.openapi import DOCUMENT
from portal.errors import error_response
from portal.extensions import db
from tenants.access import unit_or_404
from tenants.tree import ancestors, children
from tenants.unit import Unit, UnitClosure

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def _require_token():  # type: ignore[no-untyped-def]
    if request.endpoint == "api.openapi":
        return None
    if not current_user.is_authenticated:
        abort(401)
    return None


@bp.after_request
def _commit(response):  # type: ignore[no-untyped-def]
    if response.status_code < 400:
        db.session.commit()  # the token's last use
    return response


def _parent_code(unit: Unit) -> str | None:
    trail = ancestors(unit)
    return trail[-1][0] if trail else None


@bp.get("/openapi.json")
def openapi():  # type: ignore[no-untyped-def]
    return jsonify(DOCUMENT)


@bp.get("/me")
def me():  # type: ignore[no-untyped-def]
    units = {uid: code for uid, code in db.session.execute(
        select(Unit.id, Unit.code).where(Unit.id.in_(list(g.reach.roles))))}
    memberships = sorted(({"unit": units[uid], "role": role.value}
                          for uid, roles in g.reach.roles.items() if uid in units
                          for role in roles), key=lambda m: (m["unit"], m["role"]))
    return jsonify({"username": current_user.username, "full_name": current_user.full_name,
                    "platform_admin": current_user.is_platform_admin,
                    "memberships": memberships})


@bp.get("/units/<code>")
def unit(code: str):  # type: ignore[no-untyped-def]
    found = unit_or_404(code)
    kids = children(found) if g.reach.reads_subtree_of(found) else []
    return jsonify({"code": found.code, "name": found.name, "kind": found.kind,
                    "parent": _parent_code(found), "children": [k.code for k in kids]})


@bp.get("/units")
def units():  # type: ignore[no-untyped-def]
    under = request.args.get("under", "").strip()
    if not under:
        return error_response(400, "missing_parameter",
                              "give the unit code whose subtree to list: ?under=CODE")
    root = unit_or_404(under)
    rows = db.session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id)
        .join(UnitClosure, UnitClosure.descendant_id == Unit.id)
        .where(UnitClosure.ancestor_id == root.id)
        .order_by(UnitClosure.depth, Unit.code)).all()
    code_of = {r.id: r.code for r in rows}
    root_parent = _parent_code(root)
    return jsonify({"units": [
        {"code": r.code, "name": r.name, "kind": r.kind,
         "parent": root_parent if r.id == root.id else code_of.get(r.parent_id)}
        for r in rows]})
