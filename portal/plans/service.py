"""Unit plans: start from the framework, edit with version checks, the workflow, revisions.

Operations only flush; the caller commits once. Refusals raise ``PlanError`` with
every problem in the user's language (by field where there is one); a stale save
raises ``StaleEdit`` carrying what is stored now, so nothing is overwritten silently.
"""

from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select

from portal import clock, limits
from portal.dates import DateError, parse_date
from portal.extensions import db
from portal.frameworks.framework import Framework, FrameworkNode, FrameworkVersion, NodeKind
from portal.frameworks.indicator import Indicator, IndicatorKind
from portal.frameworks.period import ReportingPeriod
from portal.frameworks.service import duties_of
from portal.limits import check_lengths, too_long
from portal.numbers import NumberError, as_fraction, check_maximum, parse_number, read_number
from portal.plans.history import PlanAction, PlanComment, PlanTransition
from portal.plans.plan import (
    FIELD_LABELS,
    SECTIONS,
    SIGNING_FORMULAS,
    PlanRevision,
    PlanTarget,
    PlanTask,
    PlanTaskUnit,
    RevisionStatus,
    UnitPlan,
)
from portal.problems import DomainError, refuse_together
from portal.register import service as register
from portal.register.entry import EntryStatus, RegisterEntry
from portal.titles import PLAN, subject_after
from tenants.ordering import natural_order
from tenants.scoping import system_scope
from tenants.text import nfc, search_key
from tenants.unit import Unit, UnitClosure


class PlanError(DomainError):
    """A plan operation refused; ``problems`` maps a field name to its message."""


class StaleEdit(Exception):
    """Someone saved this row since it was loaded; ``current`` is what is stored now."""

    def __init__(self, current: dict[str, str], version: int):
        super().__init__("stale")
        self.current = current
        self.version = version


def clean_text(text: str) -> str:
    """Text pasted from Word: NFC, no control characters, no zero-width or soft hyphens."""
    text = nfc_keep_lines(text)
    text = text.replace("\u00ad", "").replace("\u200b", "").replace("\ufeff", "")
    text = re.sub(r"[\u2028\u2029]", "\n", text)
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text).strip()


def nfc_keep_lines(text: str) -> str:
    return "\n".join(nfc(line) for line in (text or "").replace("\r\n", "\n").split("\n"))


# ---- starting a plan ---------------------------------------------------------------


def start_plan(unit: Unit, framework: Framework, user_id: int | None) -> UnitPlan:
    """The unit's plan for ``framework``: sections, tasks and targets taken from it."""
    version = framework.published()
    if version is None:
        raise PlanError([_("This framework has no published version to implement.")])
    if db.session.scalar(select(UnitPlan.id).where(UnitPlan.unit_id == unit.id,
                                                   UnitPlan.framework_id == framework.id)):
        raise PlanError([_("This unit already has a plan for this framework.")])
    plan = UnitPlan(unit_id=unit.id, framework_id=framework.id)
    db.session.add(plan)
    db.session.flush()
    nodes = list(db.session.scalars(select(FrameworkNode).where(
        FrameworkNode.version_id == version.id).order_by(FrameworkNode.position)))
    revision = PlanRevision(
        plan=plan, unit_id=unit.id, framework_version_id=version.id, number=1,
        status=RevisionStatus.DRAFT.value,
        title=_("Implementing Plan %(number)s",
                number=version.doc_number or subject_after(framework.name, PLAN, _("Plan"))),
        purpose=_section_text(nodes, {NodeKind.PURPOSE, NodeKind.REQUIREMENT}),
        funding=_funding_text(nodes), place=_place_of(unit))
    db.session.add(revision)
    db.session.flush()
    for position, node in enumerate(_tasks_for(unit, framework, nodes)):
        db.session.add(PlanTask(revision_id=revision.id, unit_id=unit.id, key=_key(),
                                framework_node_id=node.id, position=position,
                                content=node.text or node.title))
    for indicator in db.session.scalars(select(Indicator).where(
            Indicator.version_id == version.id).order_by(Indicator.position)):
        if unit.kind not in indicator.reporting_kind_list or \
                indicator.kind == IndicatorKind.TEXT:
            continue
        for year in _years(framework):
            db.session.add(PlanTarget(revision_id=revision.id, unit_id=unit.id,
                                      indicator_id=indicator.id, year=year))
    _record(plan, revision, PlanAction.CREATE, None, user_id)
    db.session.flush()
    return plan


def _key() -> str:
    return str(uuid.uuid4())


def _section_text(nodes: list[FrameworkNode], kinds: set[str]) -> str:
    """The framework's text for a section of the unit's plan, headings and items kept."""
    parts = []
    for node in nodes:
        if node.kind not in kinds:
            continue
        if node.title and node.depth > 0:
            parts.append(f"{node.label}. {node.title}")
        if node.text:
            lettered = not node.title and node.depth > 1
            parts.append(f"{node.label}) {node.text}" if lettered else node.text)
    return "\n".join(parts)


def _funding_text(nodes: list[FrameworkNode]) -> str:
    """Section "KINH PHÍ THỰC HIỆN" of the framework: its text and its items'."""
    return "\n".join(n.text for n in nodes if n.text and (
        n.kind == NodeKind.FUNDING.value
        or (n.depth == 0 and "kinh phi" in search_key(n.title))))


def _tasks_for(unit: Unit, framework: Framework,
               nodes: list[FrameworkNode]) -> Iterator[FrameworkNode]:
    """Section III tasks, then the unit's own duties from Section V, in document order."""
    children: dict[int, list[FrameworkNode]] = {}
    for node in nodes:
        if node.parent_id:
            children.setdefault(node.parent_id, []).append(node)
    for node in nodes:
        if node.kind == NodeKind.TASK.value or (
                node.kind == NodeKind.TASK_GROUP.value and node.id not in children):
            yield node
    for duty_framework, _version, duty in duties_of(unit):
        if duty_framework.id != framework.id:
            continue
        yield from children.get(duty.id, [duty])


def _years(framework: Framework) -> list[int]:
    return list(db.session.scalars(select(ReportingPeriod.year).where(
        ReportingPeriod.framework_id == framework.id).order_by(ReportingPeriod.year)))


def _place_of(unit: Unit) -> str:
    """The place name in the date line: the unit's own name without its type word."""
    words = unit.name.split()
    for prefix in ("Thành phố", "Thị xã", "Thị trấn", "Tỉnh", "Huyện", "Quận", "Phường",
                   "Xã", "Sở"):
        if unit.name.startswith(prefix + " "):
            return unit.name[len(prefix) + 1:]
    return " ".join(words[-2:]) if len(words) > 2 else unit.name


def _record(plan: UnitPlan, revision: PlanRevision, action: PlanAction, from_status: str | None,
            user_id: int | None, reason: str = "") -> None:
    db.session.add(PlanTransition(plan_id=plan.id, revision_id=revision.id,
                                  unit_id=plan.unit_id, action=action.value,
                                  from_status=from_status, to_status=revision.status,
                                  user_id=user_id, reason=reason))


# ---- reading ---------------------------------------------------------------------------


def latest(plan: UnitPlan) -> PlanRevision:
    return plan.revisions[-1]


def in_force(plan: UnitPlan) -> PlanRevision | None:
    return next((r for r in reversed(plan.revisions)
                 if r.status == RevisionStatus.ISSUED.value), None)


def province_of(unit_id: int) -> int:
    """The root of the unit's tree (its province, or the nation above it)."""
    return db.session.scalar(
        select(UnitClosure.ancestor_id).where(UnitClosure.descendant_id == unit_id)
        .order_by(UnitClosure.depth.desc()).limit(1))


def coordinating_choices(unit_id: int) -> list[tuple[int, str, str]]:
    """(id, code, name) of every unit of the same province: coordinators may lie outside
    the caller's reach, and codes and names are public."""
    root = province_of(unit_id)
    with system_scope("units of the same province, to pick coordinating units"):
        rows = db.session.execute(
            select(Unit.id, Unit.code, Unit.name)
            .join(UnitClosure, UnitClosure.descendant_id == Unit.id)
            .where(UnitClosure.ancestor_id == root, Unit.id != unit_id)
            .order_by(UnitClosure.depth, *natural_order())).all()
    return [tuple(r) for r in rows]


# ---- editing a draft -------------------------------------------------------------------


def _require_editable(revision: PlanRevision) -> None:
    if not revision.editable:
        raise PlanError({"": _("This revision is no longer a draft and cannot be changed; "
                               "amend the plan to change it.")})


def _check_version(stored: int, version: str | int | None, current: dict[str, str]) -> None:
    try:
        expected = int(version) if version not in (None, "") else None
    except (TypeError, ValueError):
        expected = None
    if expected != stored:
        raise StaleEdit(current, stored)


def save_section(revision: PlanRevision, name: str, text: str, version: str | int | None) -> None:
    """Save one text section of the plan, if nobody saved it meanwhile."""
    if name not in (*SECTIONS, "title"):
        raise PlanError({"": _("Unknown section.")})
    _require_editable(revision)
    _check_version(revision.section_version(name), version, {name: getattr(revision, name)})
    check_lengths(PlanError, **{name: (text, limits.TITLE if name == "title"
                                       else limits.NARRATIVE)})
    text = clean_text(text)
    if name == "title" and not text:
        raise PlanError({name: _("The plan needs a title.")})
    setattr(revision, name, text)
    revision.section_versions = {**(revision.section_versions or {}),
                                 name: revision.section_version(name) + 1}
    db.session.flush()  # the row's version goes up by itself (version_id_col)


def task_values(task: PlanTask) -> dict[str, str]:
    """A task as the form shows it (dates dd/mm/yyyy, budget grouped the Vietnamese way)."""
    return {
        "content": task.content, "lead": task.lead, "outputs": task.outputs,
        "start_date": task.start_date.strftime("%d/%m/%Y") if task.start_date else "",
        "end_date": task.end_date.strftime("%d/%m/%Y") if task.end_date else "",
        "budget": f"{int(task.budget):,}".replace(",", ".") if task.budget is not None else "",
        "funding_source": task.funding_source,
        "not_applicable": "on" if task.not_applicable else "",
        "not_applicable_reason": task.not_applicable_reason,
        "coordinating": ",".join(str(c.coordinating_unit_id)
                                 for c in sorted(task.coordinating,
                                                 key=lambda c: c.coordinating_unit_id)),
    }


def _parse_date(text: str, name: str, problems: dict[str, str]) -> date | None:
    try:
        return parse_date(text)
    except DateError as exc:
        problems[name] = str(exc)
        return None


def save_task(task: PlanTask, revision: PlanRevision, values: dict[str, str],
              coordinating: list[int], version: str | int | None) -> dict[str, str]:
    """Save every field of a task that is valid; return, by field, the problem of each
    other one, which keeps what was stored. One wrong field never loses the good ones.

    Fields that only make sense together are saved together or not at all
    (``refuse_together``): the start and end dates (the end may not precede the start),
    and "not applicable" with its reason. A revision that is no longer a draft, or a
    stale version (``StaleEdit``), still refuses the whole save."""
    _require_editable(revision)
    _check_version(task.version, version, task_values(task))
    changes, problems = read_task(task, values, coordinating)
    for name, value in changes.items():
        setattr(task, name, value)
    db.session.flush()  # … WHERE version = :seen: a save that lost the race fails here
    return problems


def read_task(task: PlanTask, values: dict[str, str],
              coordinating: list[int]) -> tuple[dict[str, object], dict[str, str]]:
    """The task's form read field by field: the new value of each valid field (by the
    task's attribute) and the problem of each invalid one; nothing is changed."""
    problems = too_long({"content": (values.get("content"), limits.LONG_TEXT),
                         "outputs": (values.get("outputs"), limits.LONG_TEXT),
                         "not_applicable_reason": (values.get("not_applicable_reason"),
                                                   limits.NOTE),
                         "lead": (values.get("lead"), limits.SHORT),
                         "funding_source": (values.get("funding_source"), limits.SHORT)})
    changes: dict[str, object] = {}
    for name, limit in (("content", None), ("outputs", None), ("lead", limits.SHORT),
                        ("funding_source", limits.SHORT)):
        if name not in problems:  # (NFC may lengthen a text a little: the column's width)
            changes[name] = clean_text(values.get(name, ""))[:limit]
    if changes.get("content") == "":
        del changes["content"]
        problems["content"] = _("Describe the task.")
    changes.update(_read_dates(values, problems))
    changes.update(_read_not_applicable(task, values, problems))
    if (values.get("budget") or "").strip():
        try:
            changes["budget"] = parse_number(values["budget"], integer=True)
        except NumberError as exc:
            problems["budget"] = _("Budget (VND): %(problem)s", problem=exc)
    else:
        changes["budget"] = None
    wanted = sorted(set(coordinating) - {task.unit_id})
    if wanted and set(wanted) - set(db.session.scalars(select(UnitClosure.descendant_id).where(
            UnitClosure.ancestor_id == province_of(task.unit_id),
            UnitClosure.descendant_id.in_(wanted)))):
        problems["coordinating"] = _("A coordinating unit must belong to the same province.")
    else:
        changes["coordinating"] = [PlanTaskUnit(coordinating_unit_id=uid, unit_id=task.unit_id)
                                   for uid in wanted]
    return changes, problems


def _read_dates(values: dict[str, str], problems: dict[str, str]) -> dict[str, object]:
    """Start and end, saved together: the end may not precede the start."""
    start = _parse_date(values.get("start_date", ""), "start_date", problems)
    end = _parse_date(values.get("end_date", ""), "end_date", problems)
    if start and end and end < start:
        problems["end_date"] = _("The end date (%(end)s) precedes the start date (%(start)s).",
                                 end=end.strftime("%d/%m/%Y"), start=start.strftime("%d/%m/%Y"))
    problems.update(refuse_together(problems, {"start_date": str(FIELD_LABELS["start_date"]),
                                               "end_date": str(FIELD_LABELS["end_date"])}))
    return {} if "start_date" in problems else {"start_date": start, "end_date": end}


def _read_not_applicable(task: PlanTask, values: dict[str, str],
                         problems: dict[str, str]) -> dict[str, object]:
    """"Not applicable" and its reason, saved together: marking a task needs the reason,
    and only a task from the plan above can be marked (the unit deletes its own)."""
    not_applicable = values.get("not_applicable") in ("on", "1", "true")
    reason = clean_text(values.get("not_applicable_reason", ""))
    if not_applicable and not reason and "not_applicable_reason" not in problems:
        problems["not_applicable_reason"] = _("Give the reason the task does not apply to "
                                              "this unit.")
    if not_applicable and task.framework_node_id is None:
        problems["not_applicable"] = _("Only a task from the plan above can be marked not "
                                       "applicable; delete your own task instead.")
    problems.update(refuse_together(problems, {
        "not_applicable": str(FIELD_LABELS["not_applicable"]),
        "not_applicable_reason": str(FIELD_LABELS["not_applicable_reason"])}))
    if "not_applicable" in problems:
        return {}
    return {"not_applicable": not_applicable,
            "not_applicable_reason": reason if not_applicable else ""}


def add_task(revision: PlanRevision) -> PlanTask:
    _require_editable(revision)
    position = max((t.position for t in revision.task_rows), default=-1) + 1
    task = PlanTask(revision_id=revision.id, unit_id=revision.unit_id, key=_key(),
                    position=position, content="")
    db.session.add(task)
    db.session.flush()
    return task


def delete_task(task: PlanTask, revision: PlanRevision) -> None:
    _require_editable(revision)
    if task.framework_node_id is not None:
        raise PlanError({"": _("A task from the plan above cannot be deleted; mark it not "
                               "applicable, with the reason.")})
    db.session.delete(task)
    db.session.flush()


def save_target(target: PlanTarget, revision: PlanRevision, text: str) -> dict[str, str]:
    """A unit target, read within its indicator's kind (percentages for ratios); a count
    or an amount within the indicator's maximum. Returns how "1,234" was read in a
    whole-number target, as a sentence the page says back (portal.numbers)."""
    _require_editable(revision)
    indicator = db.session.get(Indicator, target.indicator_id)
    if not (text or "").strip():
        target.value = None
        db.session.flush()
        return {}
    try:
        reading = read_number(text, integer=indicator.kind in (IndicatorKind.COUNT,
                                                               IndicatorKind.AMOUNT))
        if not indicator.is_fraction:
            check_maximum(reading.value, indicator.maximum)
    except NumberError as exc:
        raise PlanError({"value": str(exc)}) from exc
    value = reading.value
    if indicator.is_fraction:
        if value > 100:
            raise PlanError({"value": _("A percentage cannot exceed 100.")})
        try:
            value = as_fraction(value, text)
        except NumberError as exc:
            raise PlanError({"value": str(exc)}) from exc
    target.value = value
    db.session.flush()
    return {"value": _("“%(text)s” read as %(value)s", text=text.strip()[:40],
                       value=reading.shown)} if reading.guessed else {}


# ---- the workflow ------------------------------------------------------------------------


def submit(plan: UnitPlan, user_id: int | None) -> PlanRevision:
    revision = latest(plan)
    if revision.status != RevisionStatus.DRAFT.value:
        raise PlanError([_("Only a draft can be submitted.")])
    open_tasks = [t for t in revision.task_rows if not t.not_applicable]
    problems = []
    if not open_tasks:
        problems.append(_("The plan has no task to carry out."))
    if any(not t.content.strip() for t in open_tasks):
        problems.append(_("A task has no description; describe it or delete it."))
    if problems:
        raise PlanError(problems)
    revision.status = RevisionStatus.SUBMITTED.value
    _record(plan, revision, PlanAction.SUBMIT, RevisionStatus.DRAFT.value, user_id)
    db.session.flush()
    return revision


def return_for_correction(plan: UnitPlan, user_id: int | None, reason: str) -> PlanRevision:
    revision = latest(plan)
    if revision.status != RevisionStatus.SUBMITTED.value:
        raise PlanError([_("Only a submitted plan can be returned.")])
    check_lengths(PlanError, reason=(reason, limits.NOTE))
    reason = clean_text(reason)
    if not reason:
        raise PlanError({"reason": _("Say why the plan is returned, so that it can be "
                                     "corrected.")})
    revision.status = RevisionStatus.DRAFT.value
    _record(plan, revision, PlanAction.RETURN, RevisionStatus.SUBMITTED.value, user_id,
            reason)
    db.session.flush()
    return revision


def approve(plan: UnitPlan, user_id: int | None, values: dict[str, str]) -> PlanRevision:
    """The head approves the submitted revision for signing: how it is signed and by whom,
    its place and recipients. No number yet: the clerk issues it (``issue``) and the
    register gives the number and date then (docs/signing.md § The flow)."""
    revision = latest(plan)
    if revision.status != RevisionStatus.SUBMITTED.value:
        raise PlanError([_("Only a plan submitted to the unit head can be approved.")])
    check_lengths(PlanError, recipients=(values.get("recipients"), limits.NOTE),
                  place=(values.get("place"), limits.PLACE),
                  **{name: (values.get(name), limits.SHORT) for name in (
                      "signing_body", "signing_authority", "signer_title", "signer_name")})
    problems: dict[str, str] = {}
    formula = values.get("signing_formula", "").strip()
    if formula not in SIGNING_FORMULAS:
        problems["signing_formula"] = _("Choose how the plan is signed.")
    for name, message in (("signer_name", _("Enter the signer's name.")),
                          ("signer_title", _("Enter the signer's title."))):
        if not clean_text(values.get(name, "")):
            problems[name] = message
    if problems:
        raise PlanError(problems)
    revision.signing_formula = formula or None
    revision.signing_body = clean_text(values.get("signing_body", ""))[:200] or None
    revision.signing_authority = clean_text(values.get("signing_authority", ""))[:200] or None
    revision.signer_title = clean_text(values.get("signer_title", ""))[:200]
    revision.signer_name = clean_text(values.get("signer_name", ""))[:200]
    revision.place = clean_text(values.get("place", ""))[:100] or revision.place
    revision.recipients = clean_text(values.get("recipients", "")) or revision.recipients
    revision.status = RevisionStatus.APPROVED.value
    _record(plan, revision, PlanAction.APPROVE, RevisionStatus.SUBMITTED.value, user_id)
    db.session.flush()
    return revision


def issue(plan: UnitPlan, user_id: int | None,
          values: dict[str, str] | None = None) -> PlanRevision:
    """Issue the approved revision (the clerk's step; a submitted one is approved first
    with ``values``: a unit without a clerk on the platform, where the head issues): the
    register gives the number and symbol ("25/KH-UBND") and the date (today in Vietnam);
    the revision becomes read-only. A revision issued while another is in force replaces
    it (Decree 30 Art. 18). Flushes only: a refusal or a failure later in the request
    gives the number back."""
    revision = latest(plan)
    if revision.status == RevisionStatus.SUBMITTED.value and values is not None:
        approve(plan, user_id, values)
    if revision.status != RevisionStatus.APPROVED.value:
        raise PlanError([_("Only a plan approved by the unit head can be issued.")])
    before = in_force(plan)
    for older in plan.revisions:
        if older.status == RevisionStatus.ISSUED.value:
            older.status = RevisionStatus.SUPERSEDED.value
    replaced = register.entry_of(PLAN_DOCUMENT, before.id) if before is not None else None
    if replaced is not None and replaced.status != EntryStatus.ISSUED.value:
        replaced = None
    unit = db.session.get_one(Unit, plan.unit_id)
    try:
        entry = register.assign_number(unit, "KH", register.Issue(
            subject=revision.title, document_type=PLAN_DOCUMENT, document_id=revision.id,
            signer_position=revision.signer_title or "", signer_name=revision.signer_name or "",
            recipients=revision.recipients), user_id=user_id, replaces=replaced)
    except register.RegisterError as exc:
        raise PlanError(exc.problems) from exc
    revision.doc_number, revision.issued_on = entry.notation, entry.issued_on
    revision.status = RevisionStatus.ISSUED.value
    revision.issued_at = clock.now()
    _record(plan, revision, PlanAction.ISSUE, RevisionStatus.APPROVED.value, user_id,
            entry.notation)
    if replaced is not None and before is not None:
        _record(plan, before, PlanAction.REPLACED, RevisionStatus.ISSUED.value, user_id,
                entry.notation)
    db.session.flush()
    return revision


PLAN_DOCUMENT = "plan_revision"   # the document type of a plan's revision in the register


def _revision_of(entry: RegisterEntry) -> PlanRevision:
    return db.session.get_one(PlanRevision, entry.document_id)


def _plan_recalled(entry: RegisterEntry, _notice: RegisterEntry | None, user_id: int | None,
                   reason: str) -> None:
    """The register recalled a plan's document: the revision is no longer in force."""
    revision = _revision_of(entry)
    before = revision.status
    revision.status = RevisionStatus.RECALLED.value
    _record(revision.plan, revision, PlanAction.RECALL, before, user_id, reason)
    db.session.flush()


def _plan_corrected(entry: RegisterEntry, notice: RegisterEntry | None, user_id: int | None,
                    text: str) -> None:
    """A correction notice was issued for a plan's document: its history says so."""
    revision = _revision_of(entry)
    number = notice.notation if notice is not None else ""
    _record(revision.plan, revision, PlanAction.CORRECT, revision.status, user_id,
            f"{number}: {text}")
    db.session.flush()


register.on_recall(PLAN_DOCUMENT, _plan_recalled)
register.on_correction(PLAN_DOCUMENT, _plan_corrected)


def amend(plan: UnitPlan, user_id: int | None) -> PlanRevision:
    """Start the next revision from the issued one (which stays in force until replaced)."""
    current = latest(plan)
    if current.status not in (RevisionStatus.ISSUED.value, RevisionStatus.RECALLED.value):
        raise PlanError([_("Only an issued plan can be amended; finish the revision under "
                           "way first.")])
    copy = PlanRevision(
        plan=plan, unit_id=plan.unit_id,
        framework_version_id=current.framework_version_id, number=current.number + 1,
        status=RevisionStatus.DRAFT.value,
        **{name: getattr(current, name) for name in (*SECTIONS, "title", "place",
                                                      "recipients")})
    db.session.add(copy)
    db.session.flush()
    for task in current.task_rows:
        db.session.add(PlanTask(
            revision_id=copy.id, unit_id=plan.unit_id, key=task.key,
            framework_node_id=task.framework_node_id, position=task.position,
            content=task.content, lead=task.lead, start_date=task.start_date,
            end_date=task.end_date, outputs=task.outputs, budget=task.budget,
            funding_source=task.funding_source, not_applicable=task.not_applicable,
            not_applicable_reason=task.not_applicable_reason,
            coordinating=[PlanTaskUnit(coordinating_unit_id=c.coordinating_unit_id,
                                       unit_id=plan.unit_id) for c in task.coordinating]))
    for target in current.target_rows:
        db.session.add(PlanTarget(revision_id=copy.id, unit_id=plan.unit_id,
                                  indicator_id=target.indicator_id, year=target.year,
                                  value=target.value))
    _record(plan, copy, PlanAction.AMEND, None, user_id)
    db.session.flush()
    return copy


# ---- comments --------------------------------------------------------------------------


def add_comment(plan: UnitPlan, author_id: int | None, body: str,
                task_key: str | None = None) -> PlanComment:
    check_lengths(PlanError, body=(body, limits.NOTE))
    body = clean_text(body)
    if not body:
        raise PlanError({"body": _("Write the comment.")})
    revision = latest(plan)
    if task_key and task_key not in {t.key for t in revision.task_rows}:
        raise PlanError({"task": _("That task is not in this plan.")})
    comment = PlanComment(plan_id=plan.id, revision_id=revision.id, unit_id=plan.unit_id,
                          task_key=task_key or None, author_id=author_id, body=body)
    db.session.add(comment)
    db.session.flush()
    return comment


def resolve_comment(comment: PlanComment, user_id: int | None) -> None:
    if comment.resolved_at is None:
        comment.resolved_at = clock.now()
        comment.resolved_by_id = user_id
        db.session.flush()


# ---- differences between revisions ------------------------------------------------------


@dataclass
class TaskChange:
    kind: str                      # "added", "removed", "changed"
    label: str
    fields: dict[str, Markup] = field(default_factory=dict)


@dataclass
class RevisionDiff:
    sections: dict[str, Markup]
    tasks: list[TaskChange]


def word_diff(old: str, new: str) -> Markup:
    """HTML marking removed words <del> and added words <ins>; escaped."""
    a, b = (old or "").split(), (new or "").split()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape(" ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(Markup("<del>%s</del>") % " ".join(a[i1:i2]))
        if j2 > j1:
            out.append(Markup("<ins>%s</ins>") % " ".join(b[j1:j2]))
    return Markup(" ").join(out)


def diff(old: PlanRevision, new: PlanRevision) -> RevisionDiff:
    sections = {name: word_diff(getattr(old, name), getattr(new, name))
                for name in ("title", *SECTIONS) if getattr(old, name) != getattr(new, name)}
    before = {t.key: t for t in old.task_rows}
    after = {t.key: t for t in new.task_rows}
    changes: list[TaskChange] = []
    for key, task in after.items():
        label = task.content[:80]
        if key not in before:
            changes.append(TaskChange("added", label))
            continue
        a, b = task_values(before[key]), task_values(task)
        changed = {name: word_diff(a[name], b[name]) for name in b if a[name] != b[name]}
        if changed:
            changes.append(TaskChange("changed", label, changed))
    changes += [TaskChange("removed", t.content[:80]) for k, t in before.items()
                if k not in after]
    return RevisionDiff(sections, changes)


# ---- coverage for the framework owner ----------------------------------------------------


@dataclass
class CoverageRow:
    node: FrameworkNode
    implementing: list[int]                 # unit ids whose plan carries the task
    not_applicable: list[tuple[int, str]]   # (unit id, reason)


def coverage(framework: Framework, kinds: set[str] | None = None,
             ) -> tuple[list[CoverageRow], list[int], list[int]]:
    """For each task of the plan in force: which units implement it and which marked it
    not applicable; the units expected to have a plan, and those without an issued one.

    Counts only plans whose latest issued revision implements a version of this
    framework; the caller's scope decides which units are counted.
    """
    version = framework.published()
    if version is None:
        return [], [], []
    nodes = list(db.session.scalars(select(FrameworkNode).where(
        FrameworkNode.version_id == version.id,
        FrameworkNode.kind.in_([NodeKind.TASK.value, NodeKind.TASK_GROUP.value,
                                NodeKind.RESPONSIBILITY.value]))
        .order_by(FrameworkNode.position)))
    expected = list(db.session.scalars(
        select(Unit.id).join(UnitClosure, UnitClosure.descendant_id == Unit.id)
        .where(UnitClosure.ancestor_id == framework.owner_unit_id, UnitClosure.depth > 0,
               Unit.valid_to.is_(None),
               Unit.kind.in_(sorted(kinds or {"department", "district", "commune"})))))
    issued = db.session.execute(
        select(PlanRevision.id, PlanRevision.unit_id)
        .join(UnitPlan, UnitPlan.id == PlanRevision.plan_id)
        .where(UnitPlan.framework_id == framework.id,
               PlanRevision.status == RevisionStatus.ISSUED.value,
               PlanRevision.unit_id.in_(expected))).all()
    revision_ids = [r for r, _u in issued]
    with_plan = {u for _r, u in issued}
    # Tasks link to the node of the version they were made from; match by path.
    path_of = dict(db.session.execute(
        select(FrameworkNode.id, FrameworkNode.path)
        .join(FrameworkVersion, FrameworkVersion.id == FrameworkNode.version_id)
        .where(FrameworkVersion.framework_id == framework.id)).tuples().all())
    implementing: dict[str, set[int]] = {}
    not_applicable: dict[str, list[tuple[int, str]]] = {}
    if revision_ids:
        for node_id, unit_id, na, reason in db.session.execute(
                select(PlanTask.framework_node_id, PlanTask.unit_id, PlanTask.not_applicable,
                       PlanTask.not_applicable_reason)
                .where(PlanTask.revision_id.in_(revision_ids),
                       PlanTask.framework_node_id.is_not(None))):
            path = path_of.get(node_id)
            if na:
                not_applicable.setdefault(path, []).append((unit_id, reason))
            else:
                implementing.setdefault(path, set()).add(unit_id)
    rows = [CoverageRow(n, sorted(implementing.get(n.path, set())),
                        not_applicable.get(n.path, [])) for n in nodes]
    without = [u for u in expected if u not in with_plan]
    return rows, expected, without
