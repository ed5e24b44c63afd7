"""Unit plans on the web: start, edit with autosave (htmx), workflow, review, history.

Load through the tenant guard (not visible: 404), check the caller's role in the
plan's unit (visible but not allowed: 403), act through ``portal.plans.service`` inside
``unit_of_work()``, render a read-model of ``portal.plans.pages``. Autosave answers come
from ``blueprints.autosave``; the plan's documents are in ``documents.py``.
"""

from __future__ import annotations

from collections.abc import Callable

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
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.autosave import Saved, autosave
from blueprints.autosave import status as autosave_status
from blueprints.checks import writer_or_403
from portal.frameworks.service import visible_frameworks
from portal.plans.pages import (
    comment_of,
    plan_history,
    plan_page,
    plans_index,
    target_of,
    task_of,
)
from portal.plans.plan import FIELD_LABELS, SECTIONS, PlanRevision, PlanTask, UnitPlan
from portal.plans.service import (
    PLAN_DOCUMENT,
    PlanError,
    add_comment,
    add_task,
    amend,
    delete_task,
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
from portal.register import service as register
from portal.review import reviews
from portal.signing.flow import approve_plan, has_clerk
from portal.signing.pages import document_history
from portal.signing.record import RecordKind
from portal.signing.service import record_of
from portal.unit_of_work import unit_of_work
from tenants.access import unit_or_404, visible_or_404
from tenants.membership import Role

bp = Blueprint("plans", __name__)


def _plan_or_404(plan_id: int) -> UnitPlan:
    return visible_or_404(UnitPlan, plan_id)



def _head_or_403(plan: UnitPlan) -> None:
    if Role.HEAD not in g.reach.roles_in(plan.unit_id):
        abort(403)


def _task_or_404(plan: UnitPlan, task_id: int) -> PlanTask:
    task = task_of(plan, task_id)
    if task is None:
        abort(404)
    return task


# ---- the unit's plans ------------------------------------------------------------------


@bp.route("/units/<code>/plans")
@login_required
def index(code: str) -> ResponseReturnValue:
    unit = unit_or_404(code)
    return render_template("plans/index.html", **vars(plans_index(unit, g.reach)))


@bp.route("/units/<code>/plans", methods=["POST"])
@login_required
def start(code: str) -> ResponseReturnValue:
    unit = unit_or_404(code)
    writer_or_403(unit.id)
    framework = next((f for f in visible_frameworks(unit)
                      if str(f.id) == request.form.get("framework_id")), None)
    if framework is None:
        flash(_("Choose the plan to implement."), "danger")
        return redirect(url_for("plans.index", code=unit.code)), 303
    try:
        with unit_of_work():
            plan_id = start_plan(unit, framework, current_user.id).id
    except PlanError as exc:
        for problem in exc.messages:
            flash(problem, "danger")
        return redirect(url_for("plans.index", code=unit.code)), 303
    flash(_("Your plan was started from the plan above: its tasks and your unit's duties "
            "are filled in. Edit them; every change is saved as you type."), "success")
    return redirect(url_for("plans.show", plan_id=plan_id))


# ---- the plan page ---------------------------------------------------------------------


@bp.route("/plans/<int:plan_id>")
@login_required
def show(plan_id: int) -> ResponseReturnValue:
    plan = _plan_or_404(plan_id)
    number = request.args.get("revision", type=int)
    revision = None
    if number is not None:
        revision = next((r for r in plan.revisions if r.number == number), None)
        if revision is None:
            abort(404)
    return render_template("plans/show.html", **_page_of(plan, revision))


def _page_of(plan: UnitPlan, revision: PlanRevision | None = None) -> dict:
    """The plan page's read-model, with the office flow of the revision shown: its
    document of record (approved, waiting for the clerk…) and whether the unit has a
    clerk to issue it."""
    page = plan_page(plan, g.reach, revision)
    shown = page.revision
    return {**vars(page), "record": record_of(RecordKind.PLAN, shown.id),
            "clerk_issues": has_clerk(plan.unit_id),
            "is_clerk": Role.CLERK in g.reach.roles_in(plan.unit_id)}


def field_labels() -> dict[str, str]:
    """A plan's fields as the reader calls them (the conflict view names them so)."""
    return {**{name: str(text) for name, text in FIELD_LABELS.items()}, "value": _("Target")}


@bp.route("/plans/<int:plan_id>/sections/<name>", methods=["POST"])
@login_required
def save_section_view(plan_id: int, name: str) -> ResponseReturnValue:
    plan = _plan_or_404(plan_id)
    writer_or_403(plan.unit_id)
    revision = latest(plan)
    if name not in (*SECTIONS, "title"):
        abort(404)
    version = request.form.get("force_version") or request.form.get("version")

    def save() -> int:
        save_section(revision, name, request.form.get("text", ""), version)
        return revision.section_version(name)

    def current() -> tuple[dict[str, str], int]:
        fresh = latest(_plan_or_404(plan_id))  # lost a race to another save of this plan
        return {name: getattr(fresh, name)}, fresh.section_version(name)

    return autosave(f"section-{name}", [name], save, current=current,
                    mine={name: request.form.get("text", "")}, labels=field_labels(),
                    reload_url=url_for("plans.show", plan_id=plan.id))


@bp.route("/plans/<int:plan_id>/tasks", methods=["POST"])
@login_required
def add_task_view(plan_id: int) -> ResponseReturnValue:
    plan = _plan_or_404(plan_id)
    writer_or_403(plan.unit_id)
    if request.form.get("confirm") != "add":
        abort(422)
    try:
        with unit_of_work():
            task_id = add_task(latest(plan)).id
    except PlanError as exc:
        return autosave_status("tasks", 422, fields=[], errors=exc.problems, version=None)
    return redirect(url_for("plans.show", plan_id=plan_id) + f"#task-{task_id}")


TASK_FIELDS = ("content", "lead", "start_date", "end_date", "outputs", "budget",
               "funding_source", "not_applicable", "not_applicable_reason", "coordinating")


def task_fields(task: PlanTask) -> tuple[str, ...]:
    """The fields of a task's card: the unit's own task has no "not applicable" (it is
    deleted instead), so its card has no slot for their messages."""
    if task.framework_node_id is not None:
        return TASK_FIELDS
    return tuple(name for name in TASK_FIELDS if not name.startswith("not_applicable"))


@bp.route("/plans/<int:plan_id>/tasks/<int:task_id>", methods=["POST"])
@login_required
def save_task_view(plan_id: int, task_id: int) -> ResponseReturnValue:
    plan = _plan_or_404(plan_id)
    writer_or_403(plan.unit_id)
    task = _task_or_404(plan, task_id)
    values = {name: request.form.get(name, "") for name in TASK_FIELDS}
    try:
        coordinating = [int(v) for v in request.form.getlist("coordinating") if v]
    except ValueError:
        abort(400)
    version = request.form.get("force_version") or request.form.get("version")

    def save() -> Saved:  # the valid fields are saved; the others come back with why
        problems = save_task(task, latest(plan), values, coordinating, version)
        return Saved(task.version, problems)

    def current() -> tuple[dict[str, str], int]:
        fresh = _task_or_404(_plan_or_404(plan_id), task_id)  # lost a race: what won it
        return task_values(fresh), fresh.version

    mine = {**values, "coordinating": ",".join(str(c) for c in sorted(coordinating))}
    return autosave(f"task-{task.id}", task_fields(task), save, current=current, mine=mine,
                    labels=field_labels(), reload_url=url_for("plans.show", plan_id=plan.id))


@bp.route("/plans/<int:plan_id>/tasks/<int:task_id>/delete", methods=["POST"])
@login_required
def delete_task_view(plan_id: int, task_id: int) -> ResponseReturnValue:
    plan = _plan_or_404(plan_id)
    writer_or_403(plan.unit_id)
    task = _task_or_404(plan, task_id)
    try:
        with unit_of_work():
            delete_task(task, latest(plan))
    except PlanError as exc:
        for problem in exc.messages:
            flash(problem, "danger")
        return redirect(url_for("plans.show", plan_id=plan_id)), 303
    flash(_("The task was deleted."), "success")
    return redirect(url_for("plans.show", plan_id=plan_id) + "#tasks")


@bp.route("/plans/<int:plan_id>/targets/<int:target_id>", methods=["POST"])
@login_required
def save_target_view(plan_id: int, target_id: int) -> ResponseReturnValue:
    plan = _plan_or_404(plan_id)
    writer_or_403(plan.unit_id)
    target = target_of(plan, target_id)
    if target is None:
        abort(404)

    readings: dict[str, str] = {}

    def save() -> None:  # a target has no version: the last save wins
        readings.update(save_target(target, latest(plan), request.form.get("value", "")))

    def current() -> tuple[dict[str, str], int]:
        fresh = target_of(_plan_or_404(plan_id), target_id)  # the revision lost a race
        return {"value": "" if fresh is None or fresh.value is None else str(fresh.value)}, 0

    return autosave(f"target-{target.id}", ["value"], save, current=current,
                    mine=request.form.to_dict(), labels=field_labels(),
                    reload_url=url_for("plans.show", plan_id=plan.id), readings=readings)


# ---- workflow ----------------------------------------------------------------------------


def _workflow(plan: UnitPlan, action: Callable[[], object], success: str) -> ResponseReturnValue:
    """Run a workflow step; on a refusal, the plan page (nothing kept) with every problem."""
    plan_id = plan.id
    try:
        with unit_of_work():
            action()
    except PlanError as exc:
        return render_template("plans/show.html", problems=exc.problems,
                               **_page_of(_plan_or_404(plan_id))), 422
    flash(success, "success")
    return redirect(url_for("plans.show", plan_id=plan_id))


@bp.route("/plans/<int:plan_id>/submit", methods=["POST"])
@login_required
def submit_view(plan_id: int) -> ResponseReturnValue:
    plan = _plan_or_404(plan_id)
    writer_or_403(plan.unit_id)
    if request.form.get("confirm") != str(latest(plan).number):
        abort(422)
    return _workflow(plan, lambda: submit(plan, current_user.id),
                     _("The plan was submitted to the unit head."))


@bp.route("/plans/<int:plan_id>/return", methods=["POST"])
@login_required
def return_view(plan_id: int) -> ResponseReturnValue:
    plan = _plan_or_404(plan_id)
    _head_or_403(plan)
    return _workflow(plan, lambda: return_for_correction(plan, current_user.id,
                                                         request.form.get("reason", "")),
                     _("The plan was returned for correction."))


@bp.route("/plans/<int:plan_id>/issue", methods=["POST"])
@login_required
def issue_view(plan_id: int) -> ResponseReturnValue:
    plan = _plan_or_404(plan_id)
    _head_or_403(plan)
    if has_clerk(plan.unit_id):
        done = _("The plan is approved: the clerk issues it with the register's number.")
    else:
        done = _("The plan is issued and in force.")
    return _workflow(plan, lambda: approve_plan(plan, current_user.id,
                                                request.form.to_dict()), done)


@bp.route("/plans/<int:plan_id>/amend", methods=["POST"])
@login_required
def amend_view(plan_id: int) -> ResponseReturnValue:
    plan = _plan_or_404(plan_id)
    writer_or_403(plan.unit_id)
    if request.form.get("from_revision") != str(latest(plan).number):
        abort(422)
    return _workflow(plan, lambda: amend(plan, current_user.id),
                     _("A new revision was started; the issued plan stays in force until "
                       "the new one is issued."))


# ---- review ------------------------------------------------------------------------------


@bp.route("/plans/<int:plan_id>/comments", methods=["POST"])
@login_required
def comment_view(plan_id: int) -> ResponseReturnValue:
    plan = _plan_or_404(plan_id)
    if not reviews(g.reach, plan.unit_id):  # the level receiving the plan, not its own unit
        abort(403)
    return _workflow(plan, lambda: add_comment(plan, current_user.id,
                                               request.form.get("body", ""),
                                               request.form.get("task_key") or None),
                     _("Your comment was added."))


@bp.route("/plans/<int:plan_id>/comments/<int:comment_id>/resolve", methods=["POST"])
@login_required
def resolve_view(plan_id: int, comment_id: int) -> ResponseReturnValue:
    plan = _plan_or_404(plan_id)
    writer_or_403(plan.unit_id)
    comment = comment_of(plan, comment_id)
    if comment is None:
        abort(404)
    return _workflow(plan, lambda: resolve_comment(comment, current_user.id),
                     _("The comment is marked resolved."))


# ---- history -----------------------------------------------------------------------------


@bp.route("/plans/<int:plan_id>/history")
@login_required
def history(plan_id: int) -> ResponseReturnValue:
    plan = _plan_or_404(plan_id)
    page = plan_history(plan, request.args.get("from", type=int),
                        request.args.get("to", type=int))
    if page is None:
        abort(404)
    documents = [(revision, document_history(
        record_of(RecordKind.PLAN, revision.id),
        register.entry_of(PLAN_DOCUMENT, revision.id), register_steps=False))
                 for revision in plan.revisions]
    return render_template("plans/history.html", documents=[d for d in documents if d[1]],
                           **vars(page))


