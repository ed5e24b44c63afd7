"""Yearly reports: open, fill in (values, task statuses, narrative), hand over to the
head, submit, review.

Operations only flush; the caller commits once. Refusals raise ``ReportError`` with
messages by field; a stale save raises ``portal.plans.service.StaleEdit`` (the same
409 as plans). Times come from ``portal.clock`` so tests can set them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from portal import clock, limits
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.indicator import Indicator, IndicatorKind
from portal.frameworks.period import ReportingPeriod
from portal.limits import check_lengths, too_long
from portal.numbers import NumberError, check_maximum, read_number
from portal.plans.plan import UnitPlan
from portal.plans.service import StaleEdit, clean_text, in_force
from portal.problems import DomainError, refuse_together
from portal.progress.confidence import LEVELS, rated
from portal.reports.events import check_before_submission, transition_recorded
from portal.reports.obligations import reports_on
from portal.reports.report import (
    ACTION_FROM,
    EDITABLE,
    NARRATIVE,
    ReportAction,
    ReportStatus,
    ReportSubmission,
    ReportTask,
    ReportTransition,
    ReportValue,
    TaskStatus,
    UnitReport,
)
from tenants.unit import Unit


class ReportError(DomainError):
    """A report operation refused; ``problems`` maps a field name to its message."""


# ---- opening ----------------------------------------------------------------------------


def open_report(unit: Unit, period: ReportingPeriod, user_id: int | None) -> UnitReport:
    """The unit's report for ``period``: an indicator row for each indicator its kind
    reports, and a row for each task of its plan in force."""
    if db.session.scalar(select(UnitReport.id).where(UnitReport.unit_id == unit.id,
                                                     UnitReport.period_id == period.id)):
        raise ReportError([_("This unit already has a report for this period.")])
    if not period.has_begun(clock.today()):
        raise ReportError([_("The %(year)d reporting period begins on %(day)s; its report "
                             "can be started from that day.", year=period.year,
                             day=clock.shown(period.opens_on()))])
    framework = db.session.scalar(select(Framework).where(Framework.id == period.framework_id))
    version = framework.published()
    if version is None:
        raise ReportError([_("The plan to report on has no published version.")])
    if not reports_on(unit, framework):
        raise ReportError([_("A unit of this kind does not report on this plan: its "
                             "reporting obligations expect other units.")])
    plan = db.session.scalar(select(UnitPlan).where(UnitPlan.unit_id == unit.id,
                                                    UnitPlan.framework_id == framework.id))
    revision = in_force(plan) if plan else None
    report = UnitReport(unit_id=unit.id, period_id=period.id,
                        framework_version_id=version.id,
                        plan_revision_id=revision.id if revision else None)
    db.session.add(report)
    for position, indicator in enumerate(db.session.scalars(
            select(Indicator).where(Indicator.version_id == version.id)
            .order_by(Indicator.position))):
        if unit.kind in indicator.reporting_kind_list:
            report.values.append(ReportValue(unit_id=unit.id, indicator_id=indicator.id,
                                             position=position))
    if revision is not None:
        for position, task in enumerate(t for t in revision.task_rows
                                        if not t.not_applicable):
            report.tasks.append(ReportTask(unit_id=unit.id, task_key=task.key,
                                           position=position, content=task.content))
    db.session.flush()
    _record(report, "create", None, user_id)
    return report


def _record(report: UnitReport, action: str, from_status: str | None, user_id: int | None,
            reason: str = "") -> None:
    transition = ReportTransition(report_id=report.id, unit_id=report.unit_id,
                                  action=action, from_status=from_status,
                                  to_status=report.status, user_id=user_id, reason=reason,
                                  at=clock.now())
    db.session.add(transition)
    db.session.flush()
    transition_recorded(transition)   # the notices: in this unit of work, or not at all


def period_of(report: UnitReport) -> ReportingPeriod:
    return db.session.get(ReportingPeriod, report.period_id)


def locked(report: UnitReport) -> bool:
    """Past the period's lock date, nothing more is entered or submitted."""
    period = period_of(report)
    return period.lock_date is not None and clock.today() > period.lock_date


def _require_editable(report: UnitReport) -> None:
    """Values, tasks, narrative and evidence change only while the report is being
    written (a draft, returned or reopened), and never past the lock date."""
    if report.status not in EDITABLE:
        raise ReportError({"": _locked_message(report.status)})
    _require_open_period(report)


def require_editable(report: UnitReport) -> None:
    """Refuse a change to a report that is not being written (``ReportError``)."""
    _require_editable(report)


def _require_open_period(report: UnitReport) -> None:
    if locked(report):
        raise ReportError({"": _("The period is locked since %(day)s; nothing more can be "
                                 "entered.", day=period_of(report).lock_date.strftime(
                                     "%d/%m/%Y"))})


def _locked_message(status: str) -> str:
    """Why a report in ``status`` cannot be changed, and who can open it again."""
    if status == ReportStatus.WITH_HEAD.value:
        return _("The report has been handed to the unit head and is locked; the head can "
                 "send it back.")
    if status == ReportStatus.ACCEPTED.value:
        return _("The report has been accepted and is locked; only the reviewer's level "
                 "can reopen it.")
    return _("The report has been submitted and is locked; the reviewer can return it for "
             "correction.")


def _check(stored: int, version: str | int | None, current: dict[str, str]) -> None:
    try:
        seen = int(version) if version not in (None, "") else None
    except (TypeError, ValueError):
        seen = None
    if seen != stored:
        raise StaleEdit(current, stored)


# ---- entering ------------------------------------------------------------------------------


def value_fields(row: ReportValue) -> dict[str, str]:
    """A value as the form shows it."""
    def show(number: Decimal | None) -> str:
        if number is None:
            return ""
        text = f"{number.normalize():f}"
        whole, _dot, fraction = text.partition(".")
        grouped = f"{int(whole):,}".replace(",", ".")
        return grouped + ("," + fraction if fraction else "")

    yes_no = "" if row.value is None else ("yes" if row.value else "no")
    return {"value": show(row.value), "numerator": show(row.numerator),
            "denominator": show(row.denominator), "text": row.text, "note": row.note,
            "yes_no": yes_no}


def value_labels(indicator: Indicator) -> dict[str, str]:
    """The fields of an indicator's value form, as the form names them: its figure (by the
    indicator's kind) and a note."""
    figure: dict[str, str]
    if indicator.kind in (IndicatorKind.COUNT, IndicatorKind.AMOUNT):
        figure = {"value": _("Value")}
    elif indicator.kind == IndicatorKind.RATIO:
        figure = {"numerator": indicator.numerator_label or _("Part"),
                  "denominator": indicator.denominator_label or _("Total")}
    elif indicator.kind == IndicatorKind.YES_NO:
        figure = {"yes_no": _("Done this year?")}
    else:
        figure = {"text": _("What was done")}
    return {**figure, "note": _("Note")}


@dataclass
class ValueReading:
    """An indicator's value form read field by field (``read_value``)."""

    changes: dict[str, object] = field(default_factory=dict)  # attribute -> new value
    problems: dict[str, str] = field(default_factory=dict)    # field -> why it is refused
    held: dict[str, str] = field(default_factory=dict)        # field -> refused with another
    readings: dict[str, str] = field(default_factory=dict)    # field -> how "1,234" was read

    @property
    def not_saved(self) -> dict[str, str]:
        """Every field not saved, with why: its own problem, or the field it waits for."""
        return {**self.problems, **self.held}


def read_value(row: ReportValue, indicator: Indicator, data: dict[str, str]) -> ValueReading:
    """Read a value within its indicator's kind, each field on its own; nothing is changed.

    The part and the total of a ratio are read together (the part may not exceed the
    total, a part needs its total): one refused refuses the other (``refuse_together``)."""
    labels = value_labels(indicator)
    read = ValueReading(problems=too_long({"text": (data.get("text"), limits.LONG_TEXT),
                                           "note": (data.get("note"), limits.NOTE)}))
    before = value_fields(row)   # what the page shows now: re-sent, it needs no echo

    def number(name: str) -> Decimal | None:
        text = (data.get(name) or "").strip()
        if not text:
            return None
        try:
            reading = read_number(text, integer=True)
            check_maximum(reading.value, indicator.maximum)
            if reading.guessed and text != before[name]:
                read.readings[name] = _("“%(text)s” read as %(value)s", text=text[:40],
                                        value=reading.shown)
            return reading.value
        except NumberError as exc:
            read.problems[name] = str(exc)
            return None

    problems = read.problems
    if indicator.kind in (IndicatorKind.COUNT, IndicatorKind.AMOUNT):
        value = number("value")
        if "value" not in problems:
            read.changes["value"] = value
    elif indicator.kind == IndicatorKind.RATIO:
        numerator, denominator = number("numerator"), number("denominator")
        if numerator is not None and denominator is None and "denominator" not in problems:
            problems["denominator"] = _("Give the total as well.")
        if denominator is not None and numerator is not None and numerator > denominator:
            problems["numerator"] = _("The part (%(part)s) cannot exceed the total "
                                      "(%(total)s).", part=numerator, total=denominator)
        if denominator == 0 and numerator:
            problems["denominator"] = _("The total cannot be 0.")
        read.held = refuse_together(problems, {"numerator": labels["numerator"],
                                               "denominator": labels["denominator"]})
        if "numerator" not in read.not_saved:
            read.changes.update(numerator=numerator, denominator=denominator)
    elif indicator.kind == IndicatorKind.YES_NO:
        answer = (data.get("yes_no") or "").strip()
        if answer not in ("", "yes", "no"):
            problems["yes_no"] = _("Answer yes or no.")
        else:
            read.changes["value"] = None if not answer else Decimal(1 if answer == "yes" else 0)
    elif "text" not in problems:
        read.changes["text"] = clean_text(data.get("text", ""))
    if "note" not in problems:
        read.changes["note"] = clean_text(data.get("note", ""))
    return read


def save_value(row: ReportValue, report: UnitReport, data: dict[str, str],
               version: str | int | None = None, *,
               check_version: bool = True) -> dict[str, str]:
    """Save a value whole or not at all (the API's PUT): any problem refuses the save,
    every problem reported by field (``ReportError``).

    Returns, by field, how a number was read when its text alone allowed two readings
    ("1,234" in a whole-number field is 1.234), as a sentence the page says back."""
    read = _read_for_saving(row, report, data, version, check_version)
    if read.problems:
        raise ReportError(read.problems)
    _apply(row, read.changes)
    return read.readings


def save_value_fields(row: ReportValue, report: UnitReport, data: dict[str, str],
                      version: str | int | None = None) -> ValueReading:
    """Save every field of a value that is valid (the page's autosave): a wrong total
    never loses the note. Returns the reading: ``not_saved`` are the fields that keep
    what was stored, with why; ``readings`` as for ``save_value``."""
    read = _read_for_saving(row, report, data, version, True)
    _apply(row, read.changes)
    return read


def _read_for_saving(row: ReportValue, report: UnitReport, data: dict[str, str],
                     version: str | int | None, check_version: bool) -> ValueReading:
    _require_editable(report)
    if check_version:
        _check(row.version, version, value_fields(row))
    return read_value(row, db.session.get_one(Indicator, row.indicator_id), data)


def _apply(row: ReportValue | ReportTask, changes: dict[str, object]) -> None:
    for name, value in changes.items():
        setattr(row, name, value)
    db.session.flush()


def save_task_status(row: ReportTask, report: UnitReport, status: str, result: str,
                     version: str | int | None = None, *, check_version: bool = True,
                     whole: bool = True, confidence: str | None = None) -> dict[str, str]:
    """A task's status, result and confidence rating (``None``: unchanged). ``whole``
    (the API): a problem refuses all (``ReportError``); otherwise (the page's autosave)
    the valid ones are saved and the problems of the others returned, by field. A rating
    is kept only for a task not done yet (portal.progress.confidence)."""
    _require_editable(report)
    if check_version:
        _check(row.version, version, {"status": row.status or "", "result": row.result,
                                      "confidence": row.confidence or ""})
    problems = too_long({"result": (result, limits.LONG_TEXT)})
    if status and status not in {s.value for s in TaskStatus}:
        problems["status"] = _("Choose one of the four statuses.")
    if confidence and confidence not in LEVELS:
        problems["confidence"] = _("Choose one of the five confidence levels.")
    if whole and problems:
        raise ReportError(problems)
    changes: dict[str, object] = {}
    if "status" not in problems:
        changes["status"] = status or None
    if "result" not in problems:
        changes["result"] = clean_text(result)
    if "confidence" not in problems:
        given = row.confidence if confidence is None else confidence
        changes["confidence"] = rated(changes.get("status", row.status), given)  # type: ignore[arg-type]  # a status or None
    _apply(row, changes)
    return problems


def save_narrative(report: UnitReport, name: str, text: str,
                   version: str | int | None = None, *, check_version: bool = True) -> None:
    if name not in NARRATIVE:
        raise ReportError({"": _("Unknown section.")})
    _require_editable(report)
    if check_version:
        _check(report.section_version(name), version, {name: getattr(report, name)})
    check_lengths(ReportError, **{name: (text, limits.NARRATIVE)})
    setattr(report, name, clean_text(text))
    report.section_versions = {**(report.section_versions or {}),
                               name: report.section_version(name) + 1}
    db.session.flush()


# ---- the workflow ---------------------------------------------------------------------------


def snapshot(report: UnitReport) -> dict:
    codes = dict(db.session.execute(select(Indicator.id, Indicator.code).where(
        Indicator.version_id == report.framework_version_id)).tuples().all())
    return {
        "values": {codes[v.indicator_id]: value_fields(v) for v in report.values},
        "tasks": {t.task_key: {"content": t.content, "status": t.status or "",
                               "result": t.result, "confidence": t.confidence or ""}
                  for t in report.tasks},
        "narrative": {name: getattr(report, name) for name in NARRATIVE},
    }


def _require_complete(report: UnitReport) -> None:
    """What a report needs before the head can submit it: the status of every task."""
    missing = [t for t in report.tasks if not t.status]
    if missing:
        raise ReportError([_("Give the status of every task (%(n)d without one).",
                             n=len(missing))])


def _required_reason(reason: str, missing: str) -> str:
    """The reason (or note) cleaned; ``missing`` is the refusal when there is none."""
    check_lengths(ReportError, reason=(reason, limits.NOTE))
    reason = clean_text(reason)
    if not reason:
        raise ReportError({"reason": missing})
    return reason


def _move(report: UnitReport, action: ReportAction, to_status: str, user_id: int | None,
          reason: str = "") -> None:
    """Set the new status and record the step (from what, to what, who, why)."""
    from_status = report.status
    report.status = to_status
    db.session.flush()
    _record(report, action.value, from_status, user_id, reason)


def hand_over(report: UnitReport, user_id: int | None) -> None:
    """The drafter hands the report to the unit head ("trình"): locked until the head
    submits it or sends it back. Checked as a submission is, so that the head is never
    handed what cannot be submitted."""
    _require_editable(report)
    _require_complete(report)
    check_before_submission(report)
    _move(report, ReportAction.HAND_OVER, ReportStatus.WITH_HEAD.value, user_id)


def send_back(report: UnitReport, user_id: int | None, note: str) -> None:
    """The head sends the report back to the drafter with a note. It returns to the status
    it was handed over from: a report the reviewer returned stays returned, its reason
    still shown."""
    if report.status != ReportStatus.WITH_HEAD.value:
        raise ReportError([_("Only a report handed to the unit head can be sent back.")])
    note = _required_reason(note, _("Say what the drafter should change."))
    handed = db.session.scalar(select(ReportTransition.from_status).where(
        ReportTransition.report_id == report.id,
        ReportTransition.action == ReportAction.HAND_OVER.value)
        .order_by(ReportTransition.id.desc()).limit(1))
    before = handed if handed in EDITABLE else ReportStatus.DRAFT.value
    _move(report, ReportAction.SEND_BACK, before, user_id, note)


def submit(report: UnitReport, user_id: int | None) -> None:
    """The head submits: the report locks for the unit and the real submission time is
    kept, with a snapshot of what was sent. From a report handed to him, or one he is
    writing himself."""
    if report.status not in ACTION_FROM[ReportAction.SUBMIT]:
        raise ReportError({"": _locked_message(report.status)})
    _require_open_period(report)
    _require_complete(report)
    check_before_submission(report)
    moment = clock.now()
    number = 1 + len(db.session.scalars(select(ReportSubmission.id).where(
        ReportSubmission.report_id == report.id)).all())
    db.session.add(ReportSubmission(report_id=report.id, unit_id=report.unit_id,
                                    number=number, submitted_at=moment,
                                    content=snapshot(report)))
    report.submitted_at = moment
    report.first_submitted_at = report.first_submitted_at or moment
    _move(report, ReportAction.SUBMIT, ReportStatus.SUBMITTED.value, user_id)


def return_for_correction(report: UnitReport, user_id: int | None, reason: str) -> None:
    if report.status != ReportStatus.SUBMITTED.value:
        raise ReportError([_("Only a submitted report can be returned.")])
    reason = _required_reason(reason, _("Say why the report is returned, so that it can be "
                                        "corrected."))
    _move(report, ReportAction.RETURN, ReportStatus.RETURNED.value, user_id, reason)


def accept(report: UnitReport, user_id: int | None) -> None:
    if report.status != ReportStatus.SUBMITTED.value:
        raise ReportError([_("Only a submitted report can be accepted.")])
    report.accepted_at = clock.now()
    _move(report, ReportAction.ACCEPT, ReportStatus.ACCEPTED.value, user_id)


def reopen(report: UnitReport, user_id: int | None, reason: str) -> None:
    if report.status != ReportStatus.ACCEPTED.value:
        raise ReportError([_("Only an accepted report can be reopened.")])
    reason = _required_reason(reason, _("Say why the report is reopened."))
    report.accepted_at = None
    _move(report, ReportAction.REOPEN, ReportStatus.REOPENED.value, user_id, reason)


def run_transition(report: UnitReport, action: str, user_id: int | None, reason: str) -> None:
    """A workflow action by name (``ReportAction``: "hand_over", "send_back", "submit",
    "return", "accept", "reopen"), for pages and API. Who may take it is the caller's
    check (``portal.reports.workflow.may_take``)."""
    actions = {ReportAction.HAND_OVER: lambda: hand_over(report, user_id),
               ReportAction.SEND_BACK: lambda: send_back(report, user_id, reason),
               ReportAction.SUBMIT: lambda: submit(report, user_id),
               ReportAction.RETURN: lambda: return_for_correction(report, user_id, reason),
               ReportAction.ACCEPT: lambda: accept(report, user_id),
               ReportAction.REOPEN: lambda: reopen(report, user_id, reason)}
    if action not in actions:
        raise ReportError({"action": _("Unknown action.")})
    actions[ReportAction(action)]()


def changes_since_last_submission(report: UnitReport) -> list[tuple[str, str, str]]:
    """(what, before, now) for everything that differs between the last two submissions."""
    submissions = db.session.scalars(select(ReportSubmission).where(
        ReportSubmission.report_id == report.id).order_by(ReportSubmission.number)).all()
    if len(submissions) < 2:
        return []
    before, after = submissions[-2].content, submissions[-1].content
    changes = []
    for code, fields in after["values"].items():
        for name, now in fields.items():
            was = before["values"].get(code, {}).get(name, "")
            if was != now:
                changes.append((f"{code} · {name}", was, now))
    for key, fields in after["tasks"].items():
        for name in ("status", "result", "confidence"):
            was = before["tasks"].get(key, {}).get(name, "")
            if was != fields.get(name, ""):
                changes.append((f"{fields['content'][:60]} · {name}", was,
                                fields.get(name, "")))
    for name, now in after["narrative"].items():
        if before["narrative"].get(name, "") != now:
            changes.append((name, before["narrative"].get(name, ""), now))
    return changes
