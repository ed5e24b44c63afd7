"""The panel of one value of a report (docs/outliers.md § The value panel): last year's
value, the unit's own target, the value's history from the audit log, the comment thread
between the unit and its reviewer, and the follow-up flag.

The unit's writers (drafter, head) and its reviewers post to the thread; the reviewers set
and clear the flag. Operations only flush; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from portal import clock, limits
from portal.accounts.user import User
from portal.audit.entry import AuditEntry
from portal.extensions import db
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from portal.limits import check_lengths
from portal.notifications.comments import notify_comment
from portal.numbers import shown
from portal.outliers.service import (
    framework_rules,
    last_year_values,
    rule_for,
    rule_text,
    shown_figure,
    warnings,
)
from portal.plans.plan import PlanTarget
from portal.plans.service import clean_text
from portal.problems import DomainError
from portal.reports.report import ReportValue, UnitReport
from portal.reports.service import value_fields, value_labels
from portal.reports.value_thread import ValueComment, ValueFollowUp
from portal.review import reviews
from tenants.access import Reach
from tenants.unit import Unit

# The fields of a value its history shows, in this order.
HISTORY_FIELDS = ("value", "numerator", "denominator", "text", "note")


class PanelError(DomainError):
    """A comment or flag refused; ``problems`` maps a field name to its message."""


@dataclass
class Change:
    """One audited change of the value: who, when, which field, from what to what."""

    at: datetime
    who: str
    field: str
    before: str
    after: str


@dataclass
class ValuePanel:
    report: UnitReport
    row: ReportValue
    unit: Unit
    indicator: Indicator
    year: int
    now: dict[str, str]                    # the value as the form shows it
    last_year: str | None                  # None: no value last year
    target: str | None                     # the unit's own target this year, if any
    rule: str                              # the outlier rule in words ("" without one)
    warnings: list[str]
    history: list[Change]
    comments: list[tuple[ValueComment, str]]   # (comment, author's name)
    follow_up: ValueFollowUp | None
    may_comment: bool
    may_flag: bool


def side_of(reach: Reach, report: UnitReport) -> str | None:
    """"unit" for the unit's writers, "reviewer" for its reviewers, None for others."""
    if reach.can_write(report.unit_id):
        return "unit"
    if reviews(reach, report.unit_id):
        return "reviewer"
    return None


def _shown_audit(name: str, raw: object) -> str:
    if raw in (None, ""):
        return "—"
    if name in ("value", "numerator", "denominator"):
        try:
            return shown(Decimal(str(raw)))
        except InvalidOperation:
            return str(raw)
    return str(raw)


def history(row: ReportValue) -> list[Change]:
    """Each change of the value's fields, oldest first, from the audit log."""
    entries = list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "report_value", AuditEntry.object_id == row.id)
        .order_by(AuditEntry.at, AuditEntry.id)))
    names = {u.id: u.full_name or u.username for u in db.session.scalars(
        select(User).where(User.id.in_({e.user_id for e in entries} - {None})))}
    labels = value_labels(db.session.get_one(Indicator, row.indicator_id))
    changes = []
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        for name in HISTORY_FIELDS:
            if name not in labels and not (name == "value" and "yes_no" in labels):
                continue
            if before.get(name) == after.get(name) or name not in after:
                continue
            if entry.action == "create" and after.get(name) in (None, ""):
                continue
            changes.append(Change(at=entry.at, who=names.get(entry.user_id or 0, entry.actor),
                                  field=labels.get(name, labels.get("yes_no", name)),
                                  before=_shown_audit(name, before.get(name)),
                                  after=_shown_audit(name, after.get(name))))
    return changes


def value_panel(report: UnitReport, row: ReportValue, reach: Reach) -> ValuePanel:
    indicator = db.session.get_one(Indicator, row.indicator_id)
    period = db.session.get_one(ReportingPeriod, report.period_id)
    unit = db.session.get_one(Unit, report.unit_id)
    last = last_year_values(report).get(indicator.code)
    last_indicator = db.session.get(Indicator, last.indicator_id) if last else None
    rule = rule_for(framework_rules(period.framework_id), indicator.code, unit.kind)
    last_shown = None
    if last is not None and last_indicator is not None:
        fields = value_fields(last)
        last_shown = {"ratio": f"{fields['numerator'] or '—'} / {fields['denominator'] or '—'}",
                      "yes_no": {"yes": _("Yes"), "no": _("No")}.get(fields["yes_no"], ""),
                      "text": fields["text"]}.get(
            indicator.kind, fields["value"]) or None
    target = None
    if report.plan_revision_id is not None:
        own = db.session.scalar(select(PlanTarget.value).where(
            PlanTarget.revision_id == report.plan_revision_id,
            PlanTarget.indicator_id == indicator.id, PlanTarget.year == period.year))
        if own is not None:
            target = shown_figure(own, indicator) if indicator.kind == "ratio" else shown(own)
    authors = {}
    comments = list(db.session.scalars(select(ValueComment).where(
        ValueComment.value_id == row.id).order_by(ValueComment.at, ValueComment.id)))
    if comments:
        authors = {u.id: u.full_name or u.username for u in db.session.scalars(
            select(User).where(User.id.in_({c.author_id for c in comments} - {None})))}
    side = side_of(reach, report)
    return ValuePanel(
        report=report, row=row, unit=unit, indicator=indicator, year=period.year,
        now=value_fields(row), last_year=last_shown, target=target,
        rule=rule_text(rule, indicator) if rule else "",
        warnings=warnings(row, indicator, rule, last, last_indicator),
        history=history(row),
        comments=[(c, authors.get(c.author_id or 0, "—")) for c in comments],
        follow_up=db.session.scalar(select(ValueFollowUp).where(
            ValueFollowUp.value_id == row.id)),
        may_comment=side is not None, may_flag=side == "reviewer")


def post_comment(report: UnitReport, row: ReportValue, reach: Reach, user_id: int | None,
                 text: str) -> ValueComment:
    """A message in the value's thread, by the unit's writers or its reviewers, told to the
    other side (``notify_comment``). Whether the caller is one of them is checked by the
    view (403) with ``side_of``."""
    side = side_of(reach, report)
    if side is None:
        raise PanelError({"": _("Only the unit and its reviewer write here.")})
    check_lengths(PanelError, body=(text, limits.NOTE))
    body = clean_text(text)
    if not body:
        raise PanelError({"body": _("Write the comment first.")})
    comment = ValueComment(value_id=row.id, unit_id=row.unit_id, author_id=user_id,
                           side=side, body=body, at=clock.now())
    db.session.add(comment)
    db.session.flush()
    indicator = db.session.get_one(Indicator, row.indicator_id)
    notify_comment(comment, report, indicator.code)
    return comment


def set_follow_up(row: ReportValue, user_id: int | None, flagged: str, reason: str) -> None:
    """The reviewer marks the value for follow-up ("1") or clears the mark ("0")."""
    if flagged not in ("0", "1"):
        raise PanelError({"flagged": _("Say whether the value needs follow-up.")})
    check_lengths(PanelError, reason=(reason, limits.NOTE))
    mark = db.session.scalar(select(ValueFollowUp).where(ValueFollowUp.value_id == row.id))
    if mark is None:
        if flagged == "0":
            return
        mark = ValueFollowUp(value_id=row.id, unit_id=row.unit_id)
        db.session.add(mark)
    mark.flagged, mark.automatic = flagged == "1", False
    mark.reason = clean_text(reason) if flagged == "1" else ""
    mark.set_by_id, mark.set_at = user_id, clock.now()
    db.session.flush()
