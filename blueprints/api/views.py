"""JSON API under /api/v1: bearer tokens, the token owner's rights, 404 outside reach."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from flask import Blueprint, Response, abort, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_limiter.util import get_remote_address
from flask_login import current_user

from blueprints.api.openapi import DOCUMENT
from portal.errors import error_response
from portal.extensions import limiter
from portal.frameworks.framework import Framework
from portal.frameworks.pages import framework_reading, frameworks_in_reach
from portal.frameworks.period import ReportingPeriod
from portal.outliers.service import check_value, figure
from portal.plans.export import plan_document
from portal.plans.pages import plan_reading, plans_of
from portal.plans.plan import SECTIONS, PlanRevision, UnitPlan
from portal.plans.service import in_force
from portal.problems import DomainError
from portal.reports.consolidation import (
    Consolidation,
    ConsolidationError,
    QueueUnavailable,
    is_stale,
    start,
)
from portal.reports.pages import indicators_of
from portal.reports.report import NARRATIVE, UnitReport
from portal.reports.service import (
    ReportError,
    open_report,
    run_transition,
    save_narrative,
    save_task_status,
    save_value,
    value_fields,
)
from portal.reports.workflow import (
    TRANSITIONS,
    may_consolidate,
    may_take,
    report_of,
    reporting_period,
)
from portal.unit_of_work import unit_of_work
from portal.unit_pages import subtree_of, unit_codes
from portal.validation.service import (
    Violation,
    explanations_of,
    report_violations,
    rules_of,
    save_explanation,
    show_number,
)
from tenants.access import unit_or_404, visible_or_404
from tenants.tree import ancestors, children, unit_labels
from tenants.unit import Unit

bp = Blueprint("api", __name__, url_prefix="/api/v1")

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _token_key() -> str:
    """API requests are counted per token (by a hash of it), or per address without one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "api-token:" + hashlib.sha256(token.strip().encode()).hexdigest()[:32]
    return "api-address:" + get_remote_address()


# Counted in Redis (shared by every web process): the requests of each token, and — to
# stop anyone guessing tokens — the refused ones (401) of each address. The refused-token
# limit stops only requests without a valid token: one bad script behind an office's NAT
# must not cut the office's valid tokens off the API.
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_token_key)(bp)
limiter.limit(lambda: current_app.config["API_AUTH_FAILURE_LIMIT"],
              key_func=lambda: "api-refused:" + get_remote_address(),
              deduct_when=lambda response: response.status_code == 401,
              exempt_when=lambda: bool(current_user.is_authenticated))(bp)


@bp.before_request
def _require_token() -> None:
    if request.endpoint == "api.openapi":
        return None
    if not current_user.is_authenticated:
        abort(401)
    return None


@bp.after_request
def _commit(response: Response) -> Response:
    """A read keeps one change: the token's last use (a refusal keeps nothing)."""
    if response.status_code < 400:
        with unit_of_work():
            pass
    return response


def _parent_code(unit: Unit) -> str | None:
    trail = ancestors(unit)
    return trail[-1][0] if trail else None


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(DOCUMENT)


@bp.get("/me")
def me() -> ResponseReturnValue:
    units = unit_codes(list(g.reach.roles))
    memberships = sorted(({"unit": units[uid], "role": role.value}
                          for uid, roles in g.reach.roles.items() if uid in units
                          for role in roles), key=lambda m: (m["unit"], m["role"]))
    return jsonify({"username": current_user.username, "full_name": current_user.full_name,
                    "platform_admin": current_user.is_platform_admin,
                    "memberships": memberships})


@bp.get("/units/<code>")
def unit(code: str) -> ResponseReturnValue:
    found = unit_or_404(code)
    kids = children(found) if g.reach.reads_subtree_of(found.id) else []
    return jsonify({"code": found.code, "name": found.name, "kind": found.kind,
                    "parent": _parent_code(found), "children": [k.code for k in kids]})


@bp.get("/units")
def units() -> ResponseReturnValue:
    under = request.args.get("under", "").strip()
    if not under:
        return error_response(400, "missing_parameter",
                              "give the unit code whose subtree to list: ?under=CODE")
    root = unit_or_404(under)
    rows = subtree_of(root)
    code_of = {r.id: r.code for r in rows}
    root_parent = _parent_code(root)
    return jsonify({"units": [
        {"code": r.code, "name": r.name, "kind": r.kind,
         "parent": root_parent if r.id == root.id
         else code_of.get(r.parent_id) if r.parent_id is not None else None}
        for r in rows]})


def _framework_summary(framework: Framework, owner_code: str) -> dict:
    published, draft = framework.published(), None
    if g.reach.owns_frameworks_of(framework.owner_unit_id):
        draft = framework.draft()
    return {"id": framework.id, "name": framework.name, "owner": owner_code,
            "parent": framework.parent_id,
            "published_version": published.number if published else None,
            "draft_version": draft.number if draft else None}


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@bp.get("/frameworks")
def frameworks() -> ResponseReturnValue:
    rows = frameworks_in_reach()
    labels = unit_labels(f.owner_unit_id for f in rows)
    return jsonify({"frameworks": [_framework_summary(f, labels[f.owner_unit_id][0])
                                   for f in rows]})


@bp.get("/frameworks/<int:framework_id>")
def framework(framework_id: int) -> ResponseReturnValue:
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
    read = framework_reading(found, version)
    tree: list[dict] = []
    by_id: dict[int, dict] = {}
    for node in read.parts.nodes:
        item = {"path": node.path, "label": node.label, "kind": node.kind,
                "title": node.title, "text": node.text, "children": []}
        by_id[node.id] = item
        (by_id[node.parent_id]["children"] if node.parent_id else tree).append(item)
    path_of = {n.id: n.path for n in read.parts.nodes}
    labels = read.parts.labels
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
            "maximum": _number(i.maximum),
            "direction": i.direction, "tolerance": _number(i.tolerance),
            "targets": {str(t.year): _number(t.value) for t in i.targets}}
            for i in read.parts.indicators],
        "responsibilities": [{
            "item": path_of.get(r.node_id), "unit_kinds": r.unit_kind_list,
            "units": sorted(labels[n.unit_id][0] for n in r.named),
            "direct_children": r.direct_children, "unmatched": r.unmatched}
            for r in read.parts.responsibilities],
        "health_thresholds": {"on_track": _number(found.health_on_track),
                              "behind": _number(found.health_behind)},
        "periods": [{"year": p.year, "due_date": p.due_date.isoformat(),
                     "cutoff_date": p.cutoff_date.isoformat(),
                     "lock_date": p.lock_date.isoformat() if p.lock_date else None}
                    for p in read.periods],
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
            "id": t.id, "content": t.content,
            "framework_item": paths.get(t.framework_node_id),  # type: ignore[arg-type]  # None: no item
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
def unit_plans(code: str) -> ResponseReturnValue:
    found = unit_or_404(code)
    plans = plans_of(found)
    return jsonify({"plans": [{
        "id": p.id, "framework": p.framework_id, "revision": p.revisions[-1].number,
        "status": p.revisions[-1].status,
        "in_force": {"revision": issued.number, "doc_number": issued.doc_number,
                     "issued_on": issued.issued_on.isoformat() if issued.issued_on else None}
        if (issued := in_force(p)) else None} for p in plans]})


@bp.get("/plans/<int:plan_id>")
def plan(plan_id: int) -> ResponseReturnValue:
    found = visible_or_404(UnitPlan, plan_id)
    read = plan_reading(found)
    return jsonify({
        "id": found.id, "unit": read.labels[found.unit_id][0], "framework": found.framework_id,
        "in_force": read.in_force.number if read.in_force else None,
        "revisions": [_revision_json(r, read.labels, read.paths, read.codes)
                      for r in found.revisions]})


@bp.get("/plans/<int:plan_id>/export.docx")
def plan_docx(plan_id: int) -> ResponseReturnValue:
    found = visible_or_404(UnitPlan, plan_id)
    number = request.args.get("revision", type=int)
    revision = (next((r for r in found.revisions if r.number == number), None)
                if number is not None else (in_force(found) or found.revisions[-1]))
    if revision is None:
        abort(404)
    data, filename = plan_document(found, revision)
    return Response(data, mimetype=DOCX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _report_period(unit: Unit, year: int) -> ReportingPeriod:
    """The period of ``year`` the unit reports in (``?framework=ID`` names the plan); 404.
    A year no calendar has (past 9999, or below 1) has no period either: it is not sent
    to the database, which would refuse it as out of range."""
    if not 1 <= year <= 9999:
        abort(404)
    period = reporting_period(unit, year, request.args.get("framework", type=int))
    if period is None:
        abort(404)
    return period


def _report_json(report: UnitReport, year: int, code: str) -> dict:
    indicators = indicators_of(report)
    codes = {i: indicator.code for i, indicator in indicators.items()}
    kinds = {i: indicator.kind for i, indicator in indicators.items()}
    values = {}
    for row in report.values:
        kind = kinds[row.indicator_id]
        entry: dict[str, object]
        if kind == "ratio":
            entry = {"numerator": _number(row.numerator), "denominator": _number(row.denominator)}
        elif kind == "yes_no":
            entry = {"value": None if row.value is None else bool(row.value)}
        elif kind == "text":
            entry = {"text": row.text}
        else:
            entry = {"value": _number(row.value)}
        values[codes[row.indicator_id]] = {**entry, "note": row.note}
    return {
        "unit": code, "year": year, "status": report.status,
        "submitted_at": report.submitted_at.isoformat() if report.submitted_at else None,
        "accepted_at": report.accepted_at.isoformat() if report.accepted_at else None,
        "values": values,
        "tasks": {str(t.id): {"content": t.content, "status": t.status, "result": t.result,
                              "confidence": t.confidence}
                  for t in report.tasks},
        "narrative": {name: getattr(report, name) for name in NARRATIVE},
        "explanations": {str(rule_id): row.text
                         for rule_id, row in explanations_of(report).items()},
        "violations": [_violation_json(v) for v in report_violations(report)],
    }


def _violation_json(violation: Violation) -> dict:
    """A rule the report breaks now, as the report's page shows it (docs/validation.md)."""
    rule = violation.rule
    return {"rule": rule.id, "name": rule.name, "importance": rule.importance,
            "instruction": rule.instruction, "indicators": violation.codes,
            "left": show_number(violation.judgement.left),
            "right": show_number(violation.judgement.right),
            "explanation": violation.explanation.text if violation.explanation else None}


def _form_text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


@bp.get("/units/<code>/reports/<int:year>")
def get_report(code: str, year: int) -> ResponseReturnValue:
    found = unit_or_404(code)
    period = _report_period(found, year)
    report = report_of(found, period)
    if report is None:
        return error_response(404, "not_found", "no report for that year yet; PUT starts it")
    return jsonify(_report_json(report, year, found.code))


@bp.put("/units/<code>/reports/<int:year>")
def put_report(code: str, year: int) -> ResponseReturnValue:
    found = unit_or_404(code)
    if not g.reach.can_write(found.id):
        abort(403)
    period = _report_period(found, year)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(400, "bad_request", "send a JSON object")
    wrong = [part for part in ("values", "tasks", "narrative", "explanations")
             if body.get(part) is not None and not isinstance(body[part], dict)]
    if wrong:
        return error_response(400, "bad_request",
                              f"{', '.join(wrong)}: send an object keyed by code or id")
    report = report_of(found, period)
    try:
        with unit_of_work():
            report = _write_report(found, period, report, body)
    except ReportError as exc:  # all or nothing
        return _invalid(exc.problems)
    return jsonify(_report_json(report, year, found.code))


def _invalid(problems: dict[str, str]) -> ResponseReturnValue:
    return jsonify({"error": {"code": "invalid", "message": "; ".join(problems.values()),
                              "fields": problems}}), 422


def _write_report(found: Unit, period: ReportingPeriod, report: UnitReport | None,
                  body: dict) -> UnitReport:
    """Apply a PUT body to the report (opened first if need be); every problem of it
    raises together (``ReportError``, fields by path), so nothing of it is kept."""
    problems: dict[str, str] = {}
    try:
        if report is None:
            report = open_report(found, period, current_user.id)
        indicators = indicators_of(report)
        codes = {indicator.code: i for i, indicator in indicators.items()}
        rows = {r.indicator_id: r for r in report.values}
        for indicator_code, given in (body.get("values") or {}).items():
            row = rows.get(codes.get(indicator_code, -1))
            if row is None or not isinstance(given, dict):
                problems[f"values.{indicator_code}"] = "not an indicator this unit reports"
                continue
            merged = {**value_fields(row), **{
                ("yes_no" if k == "value" and isinstance(v, bool) else k): _form_text(v)
                for k, v in given.items()}}
            try:
                before = figure(row, indicators[row.indicator_id])
                save_value(row, report, merged, check_version=False)
                check_value(row, report, before)   # an outlier is kept, marked for follow-up
            except ReportError as exc:
                problems.update({f"values.{indicator_code}.{k}": v
                                 for k, v in exc.problems.items()})
        tasks = {str(t.id): t for t in report.tasks}
        for task_id, given in (body.get("tasks") or {}).items():
            row = tasks.get(str(task_id))
            if row is None or not isinstance(given, dict):
                problems[f"tasks.{task_id}"] = "not a task of this report"
                continue
            try:
                confidence = given.get("confidence", row.confidence)   # null: no rating
                if confidence is not None and not isinstance(confidence, str):
                    problems[f"tasks.{task_id}.confidence"] = "a confidence level or null"
                    continue
                save_task_status(row, report, given.get("status", row.status or "") or "",
                                 given.get("result", row.result) or "", check_version=False,
                                 confidence=confidence or "")
            except ReportError as exc:
                problems.update({f"tasks.{task_id}.{k}": v for k, v in exc.problems.items()})
        for name, text in (body.get("narrative") or {}).items():
            try:
                save_narrative(report, name, _form_text(text), check_version=False)
            except ReportError as exc:
                problems.update({f"narrative.{name}{'.' + k if k else ''}": v
                                 for k, v in exc.problems.items()})
        period_rules = {str(r.id): r for r in rules_of(period.framework_id)}
        for rule_id, text in (body.get("explanations") or {}).items():
            rule = period_rules.get(str(rule_id))
            if rule is None or not (text is None or isinstance(text, str)):
                problems[f"explanations.{rule_id}"] = (
                    "not a validation rule of this report's plan" if rule is None
                    else "an explanation is a text (empty or null removes it)")
                continue
            try:
                save_explanation(report, rule, text or "", current_user.id)
            except DomainError as exc:
                problems.update({f"explanations.{rule_id}": v for v in exc.messages})
    except ReportError as exc:
        problems.update(exc.problems)
    if problems:
        raise ReportError(problems)
    return report  # type: ignore[return-value]  # opened above, or a refusal raised


@bp.post("/units/<code>/reports/<int:year>/transitions")
def report_transition(code: str, year: int) -> ResponseReturnValue:
    found = unit_or_404(code)
    period = _report_period(found, year)
    report = report_of(found, period)
    if report is None:
        abort(404)
    body = request.get_json(silent=True) or {}
    action = body.get("action") if isinstance(body, dict) else None
    if not isinstance(action, str) or action not in TRANSITIONS:
        return error_response(400, "bad_request",
                              'give "action": ' + ", ".join(f'"{a}"' for a in TRANSITIONS))
    if not may_take(g.reach, found.id, action):
        abort(403)
    try:
        with unit_of_work():
            run_transition(report, action, current_user.id, _form_text(body.get("reason")))
    except ReportError as exc:
        return _invalid(exc.problems)
    return jsonify(_report_json(report, year, found.code))


@bp.get("/units/<code>/aggregates")
def aggregates(code: str) -> ResponseReturnValue:
    """The live aggregate of the unit's subtree for ``?year=`` (and ``?framework=``); the
    units as they are now, or ``?as=was``: as they were that year. Beside the totals,
    each reporting obligation's rate and timeliness (``obligations``)."""
    from portal.reports.aggregate_document import aggregate_document

    found = unit_or_404(code)
    year = request.args.get("year", type=int)
    if year is None:
        return error_response(400, "missing_parameter", "give the year: ?year=2026")
    period = _report_period(found, year)
    framework = visible_or_404(Framework, period.framework_id)
    return jsonify(aggregate_document(found, framework, period,
                                      as_now=request.args.get("as") != "was"))


@bp.get("/units/<code>/progress")
def unit_progress(code: str) -> ResponseReturnValue:
    """Health against the expected value, the projection to the final year and the task
    confidence ratings of the unit's subtree (``?year=``, ``?framework=``; by default the
    dashboard's choice): for those who read the unit's whole subtree, as the dashboard."""
    from portal.dashboard.service import NothingToShow, build

    found = unit_or_404(code)
    if not g.reach.reads_subtree_of(found.id):
        abort(403)
    try:
        board = build(found, request.args.get("framework", type=int),
                      request.args.get("year", type=int),
                      as_now=request.args.get("as") != "was")
    except NothingToShow:
        abort(404)
    return jsonify(board.progress.as_dict())


def _consolidation_json(row: Consolidation) -> dict:
    return {"id": row.id, "unit": unit_labels([row.unit_id])[row.unit_id][0],
            "year": row.year, "snapshot": row.number, "status": row.status,
            "progress": row.progress, "step": row.step, "error": row.error or None,
            "job_id": row.job_id, "stale": is_stale(row),
            "finished_at": row.finished_at.isoformat() if row.finished_at else None,
            "result": row.result}


@bp.post("/units/<code>/consolidations")
def start_consolidation(code: str) -> ResponseReturnValue:
    found = unit_or_404(code)
    if not may_consolidate(g.reach, found.id):
        abort(403)
    body = request.get_json(silent=True)
    year = body.get("year") if isinstance(body, dict) else None
    if not isinstance(year, int) or isinstance(year, bool):
        return error_response(400, "bad_request", 'give the year: {"year": 2026}')
    period = _report_period(found, year)
    framework = visible_or_404(Framework, period.framework_id)
    try:
        row_id = start(found, framework, year, current_user.id)
    except QueueUnavailable:
        return error_response(503, "queue_unavailable",
                              "the job queue is not reachable; try again later")
    except ConsolidationError as exc:
        return error_response(422, "invalid", str(exc))
    return jsonify(_consolidation_json(visible_or_404(Consolidation, row_id))), 202


@bp.get("/consolidations/<int:consolidation_id>")
def get_consolidation(consolidation_id: int) -> ResponseReturnValue:
    return jsonify(_consolidation_json(visible_or_404(Consolidation, consolidation_id)))
