"""Unit plans on the web: start, edit with autosave (htmx), workflow, review, history.

Load through the tenant guard (not visible: 404), check the caller's role in the
plan's unit (visible but not allowed: 403), act through ``portal.plans.service``,
commit once. Autosave answers are small fragments: a status line, the new version
(out of band) and the messages next to each field.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.accounts.user import User
from portal.extensions import db
from portal.frameworks.framework import Framework, FrameworkNode
from portal.frameworks.indicator import Indicator
from portal.frameworks.service import visible_frameworks
from portal.plans.history import PlanComment, PlanTransition
from portal.plans.plan import SECTIONS, SIGNING_FORMULAS, PlanTarget, PlanTask, UnitPlan
from portal.plans.service import (
    PlanError,
    StaleEdit,
    add_comment,
    add_task,
    amend,
    coordinating_choices,
    delete_task,
    diff,
    in_force,
    issue,
    latest,
    resolve_comment,
    return_for_correction,
    save_section,
    save_target,
    save_task,
    start_plan,
    submit,
    task_values,
)
from tenants.access import unit_or_404, visible_or_404
from tenants.membership import REVIEW_ROLES, Role
from tenants.tree import unit_labels
from tenants.unit import Unit

bp = Blueprint("plans", __name__)


def _plan_or_404(plan_id: int) -> UnitPlan:
    return visible_or_404(UnitPlan, plan_id)


def _writer_or_403(plan: UnitPlan) -> None:
    if not g.reach.can_write(plan.unit_id):
        abort(403)


def _head_or_403(plan: UnitPlan) -> None:
    if Role.HEAD not in g.reach.roles_in(plan.unit_id):
        abort(403)


def _task_or_404(plan: UnitPlan, task_id: int) -> PlanTask:
    task = db.session.scalar(select(PlanTask).where(
        PlanTask.id == task_id, PlanTask.revision_id == latest(plan).id))
    if task is None:
        abort(404)
    return task


# ---- the unit's plans ------------------------------------------------------------------


@bp.route("/units/<code>/plans")
@login_required
def index(code: str):  # type: ignore[no-untyped-def]
    unit = unit_or_404(code)
    plans = db.session.scalars(select(UnitPlan).where(UnitPlan.unit_id == unit.id)).all()
    planned = {p.framework_id for p in plans}
    frameworks = {f.id: f for f in visible_frameworks(unit)}
    startable = [f for f in frameworks.values() if f.id not in planned
                 and f.owner_unit_id != unit.id and f.published() is not None]
    return render_template("plans/index.html", unit=unit, plans=plans, frameworks=frameworks,
                           startable=startable, can_write=g.reach.can_write(unit.id))


@bp.route("/units/<code>/plans", methods=["POST"])
@login_required
def start(code: str):  # type: ignore[no-untyped-def]
    unit = unit_or_404(code)
    if not g.reach.can_write(unit.id):
        abort(403)
    framework = next((f for f in visible_frameworks(unit)
                      if str(f.id) == request.form.get("framework_id")), None)
    if framework is None:
        flash(_("Choose the plan to implement."), "danger")
        return redirect(url_for("plans.index", code=unit.code)), 303
    try:
        plan = start_plan(unit, framework, current_user.id)
    except PlanError as exc:
        db.session.rollback()
        for problem in exc.problems.values():
            flash(problem, "danger")
        return redirect(url_for("plans.index", code=unit.code)), 303
    db.session.commit()
    flash(_("Your plan was started from the plan above: its tasks and your unit's duties "
            "are filled in. Edit them; every change is saved as you type."), "success")
    return redirect(url_for("plans.show", plan_id=plan.id))


# ---- the plan page ---------------------------------------------------------------------


def _page_context(plan: UnitPlan, revision=None) -> dict:  # type: ignore[no-untyped-def]
    revision = revision or latest(plan)
    unit = db.session.get(Unit, plan.unit_id)
    framework = db.session.scalar(select(Framework).where(Framework.id == plan.framework_id))
    nodes = {n.id: n for n in db.session.scalars(select(FrameworkNode).where(
        FrameworkNode.version_id == revision.framework_version_id))}
    indicators = {i.id: i for i in db.session.scalars(select(Indicator).where(
        Indicator.version_id == revision.framework_version_id))}
    comments = db.session.scalars(select(PlanComment).where(
        PlanComment.plan_id == plan.id).order_by(PlanComment.created_at)).all()
    authors = {u.id: u.full_name or u.username for u in db.session.scalars(
        select(User).where(User.id.in_({c.author_id for c in comments} - {None})))}
    editable = revision.editable and revision is latest(plan) and \
        g.reach.can_write(plan.unit_id)
    coordinator_ids = {c.coordinating_unit_id for t in revision.task_rows
                       for c in t.coordinating}
    return {
        "plan": plan, "revision": revision, "unit": unit, "framework": framework,
        "nodes": nodes, "indicators": indicators, "comments": comments, "authors": authors,
        "editable": editable, "sections": SECTIONS, "formulas": SIGNING_FORMULAS,
        "is_head": Role.HEAD in g.reach.roles_in(plan.unit_id),
        "can_write": g.reach.can_write(plan.unit_id),
        "can_review": g.reach.holds_above(plan.unit_id, REVIEW_ROLES),
        "choices": coordinating_choices(plan.unit_id) if editable else [],
        "labels": unit_labels(coordinator_ids),
        "task_values": task_values, "in_force": in_force(plan),
        "targets_by_indicator": _targets_by_indicator(revision),
    }


def _targets_by_indicator(revision) -> dict[int, list[PlanTarget]]:  # type: ignore[no-untyped-def]
    out: dict[int, list[PlanTarget]] = {}
    for target in sorted(revision.target_rows, key=lambda t: (t.indicator_id, t.year)):
        out.setdefault(target.indicator_id, []).append(target)
    return out


@bp.route("/plans/<int:plan_id>")
@login_required
def show(plan_id: int):  # type: ignore[no-untyped-def]
    plan = _plan_or_404(plan_id)
    number = request.args.get("revision", type=int)
    revision = None
    if number is not None:
        revision = next((r for r in plan.revisions if r.number == number), None)
        if revision is None:
            abort(404)
    return render_template("plans/show.html", **_page_context(plan, revision))


def _fragment(template: str, status: int, **context):  # type: ignore[no-untyped-def]
    return render_template(f"plans/{template}", now=clock.now(), **context), status


@bp.route("/plans/<int:plan_id>/sections/<name>", methods=["POST"])
@login_required
def save_section_view(plan_id: int, name: str):  # type: ignore[no-untyped-def]
    plan = _plan_or_404(plan_id)
    _writer_or_403(plan)
    revision = latest(plan)
    if name not in (*SECTIONS, "title"):
        abort(404)
    version = request.form.get("force_version") or request.form.get("version")
    try:
        save_section(revision, name, request.form.get("text", ""), version)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()  # lost a race to another save of this plan
        revision = latest(_plan_or_404(plan_id))
        stale = StaleEdit({name: getattr(revision, name)}, revision.section_version(name))
        return _fragment("_conflict.html", 409, target=f"section-{name}", stale=stale,
                         mine={name: request.form.get("text", "")},
                         reload_url=url_for("plans.show", plan_id=plan.id),
                         action=url_for("plans.save_section_view", plan_id=plan.id, name=name))
    except StaleEdit as stale:
        db.session.rollback()
        return _fragment("_conflict.html", 409, target=f"section-{name}", stale=stale,
                         mine={name: request.form.get("text", "")},
                         reload_url=url_for("plans.show", plan_id=plan.id),
                         action=url_for("plans.save_section_view", plan_id=plan.id, name=name))
    except PlanError as exc:
        db.session.rollback()
        return _fragment("_status.html", 422, target=f"section-{name}", errors=exc.problems,
                         fields=[name], version=None)
    return _fragment("_status.html", 200, target=f"section-{name}", errors={}, fields=[name],
                     version=revision.section_version(name))


@bp.route("/plans/<int:plan_id>/tasks", methods=["POST"])
@login_required
def add_task_view(plan_id: int):  # type: ignore[no-untyped-def]
    plan = _plan_or_404(plan_id)
    _writer_or_403(plan)
    if request.form.get("confirm") != "add":
        abort(422)
    try:
        task = add_task(latest(plan))
    except PlanError as exc:
        db.session.rollback()
        return _fragment("_status.html", 422, target="tasks", errors=exc.problems,
                         fields=[], version=None)
    db.session.commit()
    return redirect(url_for("plans.show", plan_id=plan.id) + f"#task-{task.id}")


TASK_FIELDS = ("content", "lead", "start_date", "end_date", "outputs", "budget",
               "funding_source", "not_applicable", "not_applicable_reason", "coordinating")


@bp.route("/plans/<int:plan_id>/tasks/<int:task_id>", methods=["POST"])
@login_required
def save_task_view(plan_id: int, task_id: int):  # type: ignore[no-untyped-def]
    plan = _plan_or_404(plan_id)
    _writer_or_403(plan)
    task = _task_or_404(plan, task_id)
    values = {name: request.form.get(name, "") for name in TASK_FIELDS}
    try:
        coordinating = [int(v) for v in request.form.getlist("coordinating") if v]
    except ValueError:
        abort(400)
    version = request.form.get("force_version") or request.form.get("version")
    target = f"task-{task.id}"
    try:
        save_task(task, latest(plan), values, coordinating, version)
        db.session.commit()
    except (StaleEdit, StaleDataError) as error:
        db.session.rollback()
        if isinstance(error, StaleDataError):  # lost a race: report what won it
            task = _task_or_404(_plan_or_404(plan_id), task_id)
            error = StaleEdit(task_values(task), task.version)
        stale = error
        mine = {**values, "coordinating": ",".join(str(c) for c in sorted(coordinating))}
        return _fragment("_conflict.html", 409, target=target, stale=stale, mine=mine,
                         reload_url=url_for("plans.show", plan_id=plan.id),
                         action=url_for("plans.save_task_view", plan_id=plan.id,
                                        task_id=task_id))
    except PlanError as exc:
        db.session.rollback()
        return _fragment("_status.html", 422, target=target, errors=exc.problems,
                         fields=TASK_FIELDS, version=None)
    return _fragment("_status.html", 200, target=target, errors={}, fields=TASK_FIELDS,
                     version=task.version)


@bp.route("/plans/<int:plan_id>/tasks/<int:task_id>/delete", methods=["POST"])
@login_required
def delete_task_view(plan_id: int, task_id: int):  # type: ignore[no-untyped-def]
    plan = _plan_or_404(plan_id)
    _writer_or_403(plan)
    task = _task_or_404(plan, task_id)
    try:
        delete_task(task, latest(plan))
    except PlanError as exc:
        db.session.rollback()
        for problem in exc.problems.values():
            flash(problem, "danger")
        return redirect(url_for("plans.show", plan_id=plan.id)), 303
    db.session.commit()
    flash(_("The task was deleted."), "success")
    return redirect(url_for("plans.show", plan_id=plan.id) + "#tasks")


@bp.route("/plans/<int:plan_id>/targets/<int:target_id>", methods=["POST"])
@login_required
def save_target_view(plan_id: int, target_id: int):  # type: ignore[no-untyped-def]
    plan = _plan_or_404(plan_id)
    _writer_or_403(plan)
    target = db.session.scalar(select(PlanTarget).where(
        PlanTarget.id == target_id, PlanTarget.revision_id == latest(plan).id))
    if target is None:
        abort(404)
    name = f"target-{target.id}"
    try:
        readings = save_target(target, latest(plan), request.form.get("value", ""))
    except PlanError as exc:
        db.session.rollback()
        return _fragment("_status.html", 422, target=name,
                         errors={"value": exc.problems.get("value", "")}, fields=["value"],
                         version=None)
    db.session.commit()
    return _fragment("_status.html", 200, target=name, errors={}, fields=["value"],
                     version=None, readings=readings)


# ---- workflow ----------------------------------------------------------------------------


def _workflow(plan: UnitPlan, action, success: str):  # type: ignore[no-untyped-def]
    try:
        action()
    except PlanError as exc:
        db.session.rollback()
        return render_template("plans/show.html", problems=exc.problems,
                               **_page_context(plan)), 422
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("plans.show", plan_id=plan.id))


@bp.route("/plans/<int:plan_id>/submit", methods=["POST"])
@login_required
def submit_view(plan_id: int):  # type: ignore[no-untyped-def]
    plan = _plan_or_404(plan_id)
    _writer_or_403(plan)
    if request.form.get("confirm") != str(latest(plan).number):
        abort(422)
    return _workflow(plan, lambda: submit(plan, current_user.id),
                     _("The plan was submitted to the unit head."))


@bp.route("/plans/<int:plan_id>/return", methods=["POST"])
@login_required
def return_view(plan_id: int):  # type: ignore[no-untyped-def]
    plan = _plan_or_404(plan_id)
    _head_or_403(plan)
    return _workflow(plan, lambda: return_for_correction(plan, current_user.id,
                                                         request.form.get("reason", "")),
                     _("The plan was returned for correction."))


@bp.route("/plans/<int:plan_id>/issue", methods=["POST"])
@login_required
def issue_view(plan_id: int):  # type: ignore[no-untyped-def]
    plan = _plan_or_404(plan_id)
    _head_or_403(plan)
    return _workflow(plan, lambda: issue(plan, current_user.id, request.form.to_dict()),
                     _("The plan is issued and in force."))


@bp.route("/plans/<int:plan_id>/amend", methods=["POST"])
@login_required
def amend_view(plan_id: int):  # type: ignore[no-untyped-def]
    plan = _plan_or_404(plan_id)
    _writer_or_403(plan)
    if request.form.get("from_revision") != str(latest(plan).number):
        abort(422)
    return _workflow(plan, lambda: amend(plan, current_user.id),
                     _("A new revision was started; the issued plan stays in force until "
                       "the new one is issued."))


# ---- review ------------------------------------------------------------------------------


@bp.route("/plans/<int:plan_id>/comments", methods=["POST"])
@login_required
def comment_view(plan_id: int):  # type: ignore[no-untyped-def]
    plan = _plan_or_404(plan_id)
    if not g.reach.holds_above(plan.unit_id, REVIEW_ROLES):
        abort(403)
    return _workflow(plan, lambda: add_comment(plan, current_user.id,
                                               request.form.get("body", ""),
                                               request.form.get("task_key") or None),
                     _("Your comment was added."))


@bp.route("/plans/<int:plan_id>/comments/<int:comment_id>/resolve", methods=["POST"])
@login_required
def resolve_view(plan_id: int, comment_id: int):  # type: ignore[no-untyped-def]
    plan = _plan_or_404(plan_id)
    _writer_or_403(plan)
    comment = db.session.scalar(select(PlanComment).where(
        PlanComment.id == comment_id, PlanComment.plan_id == plan.id))
    if comment is None:
        abort(404)
    return _workflow(plan, lambda: resolve_comment(comment, current_user.id),
                     _("The comment is marked resolved."))


# ---- history -----------------------------------------------------------------------------


@bp.route("/plans/<int:plan_id>/history")
@login_required
def history(plan_id: int):  # type: ignore[no-untyped-def]
    plan = _plan_or_404(plan_id)
    transitions = db.session.scalars(select(PlanTransition).where(
        PlanTransition.plan_id == plan.id).order_by(PlanTransition.id)).all()
    users = {u.id: u.full_name or u.username for u in db.session.scalars(
        select(User).where(User.id.in_({t.user_id for t in transitions} - {None})))}
    revisions = {r.id: r for r in plan.revisions}
    numbers = [r.number for r in plan.revisions]
    old = request.args.get("from", type=int)
    new = request.args.get("to", type=int)
    difference = None
    if old is not None and new is not None:
        if old not in numbers or new not in numbers:
            abort(404)
        difference = diff(plan.revisions[numbers.index(old)],
                          plan.revisions[numbers.index(new)])
    return render_template("plans/history.html", plan=plan, transitions=transitions,
                           users=users, revisions=revisions, difference=difference,
                           old=old, new=new, unit=db.session.get(Unit, plan.unit_id))


