"""JSON API under /api/v1: bearer tokens, the token owner's rights, 404 outside reach."""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from blueprints.api.openapi import DOCUMENT
from portal.errors import error_response
from portal.extensions import db
from portal.frameworks.framework import Framework, FrameworkNode
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from portal.frameworks.responsibility import Responsibility
from portal.plans.plan import SECTIONS, PlanRevision, UnitPlan
from portal.plans.service import in_force
from tenants.access import unit_or_404, visible_or_404
from tenants.tree import ancestors, children, unit_labels
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
    kids = children(found) if g.reach.reads_subtree_of(found.id) else []
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


def _framework_summary(framework: Framework, owner_code: str) -> dict:
    published, draft = framework.published(), None
    if g.reach.owns_frameworks_of(framework.owner_unit_id):
        draft = framework.draft()
    return {"id": framework.id, "name": framework.name, "owner": owner_code,
            "parent": framework.parent_id,
            "published_version": published.number if published else None,
            "draft_version": draft.number if draft else None}


def _number(value):  # type: ignore[no-untyped-def]
    return None if value is None else float(value)


@bp.get("/frameworks")
def frameworks():  # type: ignore[no-untyped-def]
    rows = db.session.scalars(select(Framework).order_by(Framework.id)).all()
    labels = unit_labels(f.owner_unit_id for f in rows)
    return jsonify({"frameworks": [_framework_summary(f, labels[f.owner_unit_id][0])
                                   for f in rows]})


@bp.get("/frameworks/<int:framework_id>")
def framework(framework_id: int):  # type: ignore[no-untyped-def]
    found = visible_or_404(Framework, framework_id)
    is_owner = g.reach.owns_frameworks_of(found.owner_unit_id)
    wanted = request.args.get("version", type=int)
    versions = [v for v in found.versions if is_owner or not v.is_draft]
    if wanted is not None:
        version = next((v for v in versions if v.number == wanted), None)
    else:
        version = found.published() or (found.draft() if is_owner else None)
    if version is None:
        return error_response(404, "not_found", "no such version of this framework")
    nodes = db.session.scalars(select(FrameworkNode).where(
        FrameworkNode.version_id == version.id).order_by(FrameworkNode.position)).all()
    tree: list[dict] = []
    by_id: dict[int, dict] = {}
    for node in nodes:
        item = {"path": node.path, "label": node.label, "kind": node.kind,
                "title": node.title, "text": node.text, "children": []}
        by_id[node.id] = item
        (by_id[node.parent_id]["children"] if node.parent_id else tree).append(item)
    path_of = {n.id: n.path for n in nodes}
    indicators = db.session.scalars(select(Indicator).where(
        Indicator.version_id == version.id).order_by(Indicator.position)).all()
    responsibilities = db.session.scalars(select(Responsibility).where(
        Responsibility.version_id == version.id)).all()
    periods = db.session.scalars(select(ReportingPeriod).where(
        ReportingPeriod.framework_id == found.id).order_by(ReportingPeriod.year)).all()
    labels = unit_labels([found.owner_unit_id] + [n.unit_id for r in responsibilities
                                                  for n in r.named])
    return jsonify({
        **_framework_summary(found, labels[found.owner_unit_id][0]),
        "version": {"number": version.number, "status": version.status,
                    "doc_number": version.doc_number, "doc_type": version.doc_type,
                    "issuer": version.issuer, "place": version.place,
                    "issued_on": version.issued_on.isoformat() if version.issued_on else None,
                    "title": version.title, "warnings": version.warnings},
        "outline": tree,
        "indicators": [{
            "code": i.code, "name": i.name, "kind": i.kind,
            "unit_of_measure": i.unit_of_measure, "time_behaviour": i.time_behaviour,
            "aggregation": i.aggregation, "numerator_label": i.numerator_label,
            "denominator_label": i.denominator_label, "target": _number(i.target_final),
            "target_year": i.target_year, "reporting_kinds": i.reporting_kind_list,
            "targets": {str(t.year): _number(t.value) for t in i.targets}}
            for i in indicators],
        "responsibilities": [{
            "item": path_of.get(r.node_id), "unit_kinds": r.unit_kind_list,
            "units": sorted(labels[n.unit_id][0] for n in r.named),
            "direct_children": r.direct_children, "unmatched": r.unmatched}
            for r in responsibilities],
        "periods": [{"year": p.year, "due_date": p.due_date.isoformat(),
                     "cutoff_date": p.cutoff_date.isoformat(),
                     "lock_date": p.lock_date.isoformat() if p.lock_date else None}
                    for p in periods],
    })


def _revision_json(revision: PlanRevision, labels: dict[int, tuple[str, str]],
                   paths: dict[int, str], codes: dict[int, str]) -> dict:
    return {
        "number": revision.number, "status": revision.status, "title": revision.title,
        "doc_number": revision.doc_number,
        "issued_on": revision.issued_on.isoformat() if revision.issued_on else None,
        "signer": {"formula": revision.signing_formula, "body": revision.signing_body,
                   "authority": revision.signing_authority, "title": revision.signer_title,
                   "name": revision.signer_name},
        "sections": {name: getattr(revision, name) for name in SECTIONS},
        "tasks": [{
            "id": t.id, "framework_item": paths.get(t.framework_node_id), "content": t.content,
            "lead": t.lead, "coordinating": sorted(labels[c.coordinating_unit_id][0]
                                                   for c in t.coordinating),
            "start_date": t.start_date.isoformat() if t.start_date else None,
            "end_date": t.end_date.isoformat() if t.end_date else None,
            "outputs": t.outputs, "budget": _number(t.budget),
            "funding_source": t.funding_source, "not_applicable": t.not_applicable,
            "not_applicable_reason": t.not_applicable_reason} for t in revision.task_rows],
        "targets": [{"indicator": codes.get(t.indicator_id), "year": t.year,
                     "value": _number(t.value)} for t in sorted(
                         revision.target_rows, key=lambda t: (t.indicator_id, t.year))],
    }


@bp.get("/units/<code>/plans")
def unit_plans(code: str):  # type: ignore[no-untyped-def]
    found = unit_or_404(code)
    plans = db.session.scalars(select(UnitPlan).where(UnitPlan.unit_id == found.id)
                               .order_by(UnitPlan.id)).all()
    return jsonify({"plans": [{
        "id": p.id, "framework": p.framework_id, "revision": p.revisions[-1].number,
        "status": p.revisions[-1].status,
        "in_force": {"revision": issued.number, "doc_number": issued.doc_number,
                     "issued_on": issued.issued_on.isoformat() if issued.issued_on else None}
        if (issued := in_force(p)) else None} for p in plans]})


@bp.get("/plans/<int:plan_id>")
def plan(plan_id: int):  # type: ignore[no-untyped-def]
    found = visible_or_404(UnitPlan, plan_id)
    revisions = found.revisions
    node_ids = {t.framework_node_id for r in revisions for t in r.task_rows} - {None}
    paths = {i: p for i, p in db.session.execute(
        select(FrameworkNode.id, FrameworkNode.path).where(FrameworkNode.id.in_(node_ids)))}
    codes = {i: c for i, c in db.session.execute(select(Indicator.id, Indicator.code).where(
        Indicator.id.in_({t.indicator_id for r in revisions for t in r.target_rows})))}
    labels = unit_labels({found.unit_id} | {c.coordinating_unit_id for r in revisions
                                            for t in r.task_rows for c in t.coordinating})
    issued = in_force(found)
    return jsonify({
        "id": found.id, "unit": labels[found.unit_id][0], "framework": found.framework_id,
        "in_force": issued.number if issued else None,
        "revisions": [_revision_json(r, labels, paths, codes) for r in revisions]})


@bp.get("/plans/<int:plan_id>/export.docx")
def plan_docx(plan_id: int):  # type: ignore[no-untyped-def]
    from blueprints.plans.export import DOCX, plan_document

    found = visible_or_404(UnitPlan, plan_id)
    number = request.args.get("revision", type=int)
    revision = (next((r for r in found.revisions if r.number == number), None)
                if number is not None else (in_force(found) or found.revisions[-1]))
    if revision is None:
        abort(404)
    data, filename = plan_document(found, revision)
    return Response(data, mimetype=DOCX,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
