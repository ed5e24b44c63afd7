"""Reminders a reviewer sends by hand to the units below that have not reported (issue 16).

From the "not reported" page of their unit a reviewer or consolidator picks units and
sends one reminder: each unit's drafters and head get an in-app notice, and an e-mail
unless they turned e-mails off (sent by a job once the request has committed). The
reminder is recorded — who sent it, from which unit, when, to which units — and sent
once: the form carries a key of its own (a second post of the same form sends nothing),
and a unit reminded today already is skipped.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal import clock
from portal.accounts.user import User
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.period import ReportingPeriod
from portal.jobs import enqueue, in_app_context
from portal.notifications.mail import send_mail
from portal.notifications.manual_reminder import ManualReminder, ManualReminderUnit
from portal.notifications.notification import Notification
from portal.notifications.recipients import members_of
from portal.notifications.reminders import email_body
from portal.problems import DomainError
from portal.reports.aggregate import COUNTED
from portal.reports.obligations import Terms, due_for, terms_of
from portal.reports.report import UnitReport
from portal.reports.worklist import (
    UnitStatus,
    expected_below,
    not_reported,
    period_for_below,
    periods_seen,
)
from tenants.access import Reach
from tenants.membership import REVIEW_ROLES
from tenants.ordering import natural_order
from tenants.scoping import system_scope
from tenants.unit import Unit

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 1000     # characters of the reviewer's own words


class ReminderError(DomainError):
    """The reminder cannot be sent as asked (nothing chosen, a message too long …)."""


def new_form_key() -> str:
    """The key a reminder form carries (``ManualReminder.idempotency_key``)."""
    return secrets.token_urlsafe(18)


@dataclass
class Outcome:
    """What one press of "Send reminder" did."""

    reminder_id: int | None = None
    job_id: str = ""
    reminded: list[Unit] = field(default_factory=list)
    already_today: list[Unit] = field(default_factory=list)   # reminded today already
    reported: list[Unit] = field(default_factory=list)        # reported in the meantime
    repeated: bool = False                                    # this form was sent before


def start_of_today() -> datetime:
    """Midnight today in Vietnam (where "today" falls), in UTC as times are stored."""
    return datetime.combine(clock.today(), time(0), tzinfo=clock.LOCAL).astimezone(UTC)


def out_of_reach(root: Unit, period: ReportingPeriod, unit_ids: list[int]) -> bool:
    """Is any of ``unit_ids`` not an expected unit below ``root`` (a forged choice)?"""
    return not set(unit_ids) <= expected_below(root, period)


def send_manual_reminder(root: Unit, period: ReportingPeriod, unit_ids: list[int],
                         user_id: int | None, key: str, message: str) -> Outcome:
    """Record a reminder from ``root`` to the chosen units and create their notices
    (flushes only). The units must be expected below ``root`` (``out_of_reach``)."""
    message = message.strip()
    if len(message) > MESSAGE_LIMIT:
        raise ReminderError({"message": _("The message is too long (at most %(n)d "
                                          "characters).", n=MESSAGE_LIMIT)})
    if not unit_ids:
        raise ReminderError({"units": _("Choose the units to remind.")})
    if not key or len(key) > 40:
        raise ReminderError({"key": _("The form has expired; open the page again.")})
    if db.session.scalar(select(ManualReminder.id).where(
            ManualReminder.idempotency_key == key)) is not None:
        return Outcome(repeated=True)
    units = list(db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids))
                                    .order_by(*natural_order())))
    outcome = Outcome()
    reported = set(db.session.scalars(select(UnitReport.unit_id).where(
        UnitReport.period_id == period.id, UnitReport.unit_id.in_(unit_ids),
        UnitReport.status.in_(COUNTED))))
    today = set(db.session.scalars(select(ManualReminderUnit.unit_id).where(
        ManualReminderUnit.period_id == period.id, ManualReminderUnit.unit_id.in_(unit_ids),
        ManualReminderUnit.sent_at >= start_of_today())))
    for unit in units:
        (outcome.reported if unit.id in reported else outcome.already_today
         if unit.id in today else outcome.reminded).append(unit)
    if not outcome.reminded:
        return outcome
    now = clock.now()
    reminder = ManualReminder(unit_id=root.id, period_id=period.id, sent_by_id=user_id,
                              sent_at=now, message=message, idempotency_key=key)
    reminder.units = [ManualReminderUnit(unit_id=u.id, period_id=period.id, sent_at=now)
                      for u in outcome.reminded]
    db.session.add(reminder)
    db.session.flush()
    _notify(reminder, root, period, outcome.reminded)
    outcome.reminder_id = reminder.id
    outcome.job_id = f"manual-reminder-{reminder.id}-{key[:8]}"
    return outcome


def _notify(reminder: ManualReminder, root: Unit, period: ReportingPeriod,
            units: list[Unit]) -> None:
    writers = members_of([u.id for u in units])
    terms = _terms(period)
    for unit in units:
        due = clock.shown_day(due_for(terms, unit.kind, period))   # its obligation's date
        title = _("Reminder from %(sender)s: the %(year)d report of %(unit)s (due on %(due)s)",
                  sender=root.name, year=period.year, unit=unit.name, due=due)
        body = _("%(sender)s reminds %(unit)s to submit its %(year)d report, due on %(due)s.",
                 sender=root.name, unit=unit.name, year=period.year, due=due)
        if reminder.message:
            body += "\n\n" + reminder.message
        for user in writers.get(unit.id, []):
            db.session.add(Notification(
                user_id=user.id, unit_id=unit.id, period_id=period.id,
                step=f"m{reminder.id}", year=period.year, title=title[:300], body=body,
                link=f"/units/{unit.code}/reports", created_at=reminder.sent_at))
    db.session.flush()


def queue_emails(outcome: Outcome) -> None:
    """Hand the committed reminder's e-mails to the ``notifications`` queue."""
    if outcome.reminder_id is not None:
        enqueue("notifications", manual_reminder_emails, outcome.reminder_id,
                job_id=outcome.job_id)


@in_app_context
def manual_reminder_emails(reminder_id: int) -> str:
    """The job: e-mail each notice of the reminder whose person takes e-mails, at most once
    (each notice is marked e-mailed, and committed, before its message leaves)."""
    sent = 0
    with system_scope("manual reminder: e-mails"):
        rows = db.session.execute(
            select(Notification, User).join(User, User.id == Notification.user_id)
            .where(Notification.step == f"m{reminder_id}",
                   Notification.emailed_at.is_(None))).tuples().all()
        chosen = [(notice, user) for notice, user in rows
                  if user.mailable and user.active]
        for notice, _user in chosen:
            notice.emailed_at = clock.now()
        db.session.commit()
        for notice, user in chosen:
            try:
                send_mail(user.email, notice.title, email_body(notice))  # type: ignore[arg-type]  # chosen: has an e-mail
                sent += 1
            except Exception as exc:
                log.warning("reminder e-mail to user %s failed: %s", user.id, exc)
                notice.email_error = str(exc)[:500]
        db.session.commit()
    return f"{sent} e-mails"


# ---- what the page shows --------------------------------------------------------------


@dataclass(frozen=True)
class SentReminder:
    """A reminder as the history lists it."""

    sent_at: datetime
    sent_by: str
    message: str
    units: list[str]


def history(root: Unit, period: ReportingPeriod) -> list[SentReminder]:
    """The reminders sent from ``root`` for ``period``, newest first (two queries)."""
    reminders = db.session.execute(
        select(ManualReminder, User.full_name, User.username)
        .outerjoin(User, User.id == ManualReminder.sent_by_id)
        .where(ManualReminder.unit_id == root.id, ManualReminder.period_id == period.id)
        .order_by(ManualReminder.sent_at.desc(), ManualReminder.id.desc())).tuples().all()
    names: dict[int, list[str]] = {}
    for reminder_id, name in db.session.execute(
            select(ManualReminderUnit.reminder_id, Unit.name)
            .join(Unit, Unit.id == ManualReminderUnit.unit_id)
            .where(ManualReminderUnit.reminder_id.in_([r.id for r, _f, _u in reminders]))
            .order_by(*natural_order())).tuples():
        names.setdefault(reminder_id, []).append(name)
    return [SentReminder(sent_at=r.sent_at, sent_by=full or user or "", message=r.message,
                         units=names.get(r.id, [])) for r, full, user in reminders]


def last_reminded(unit_ids: list[int], period: ReportingPeriod) -> dict[int, datetime]:
    """unit id -> when it was last reminded by hand for ``period`` (one query)."""
    if not unit_ids:
        return {}
    return dict(db.session.execute(
        select(ManualReminderUnit.unit_id, func.max(ManualReminderUnit.sent_at))
        .where(ManualReminderUnit.unit_id.in_(unit_ids),
               ManualReminderUnit.period_id == period.id)
        .group_by(ManualReminderUnit.unit_id)).tuples().all())


@dataclass
class MissingPage:
    """The units below a unit that have not reported for a period, level by level, each
    with when it was last reminded, and the reminders sent from the unit."""

    unit: Unit
    period: ReportingPeriod | None
    periods: list[ReportingPeriod]
    levels: list[tuple[str, list[UnitStatus]]]      # unit kind -> its units, in order
    missing: int
    reminded: dict[int, datetime]                   # unit id -> last reminded by hand
    sent: list[SentReminder]
    form_key: str
    may_remind: bool
    dues: dict[str, date] = field(default_factory=dict)   # unit kind -> its due date


def _terms(period: ReportingPeriod) -> list[Terms]:
    return terms_of(db.session.get_one(Framework, period.framework_id))


def missing_page(unit: Unit, period_id: int | None, reach: Reach) -> MissingPage:
    period = period_for_below(unit, period_id)
    rows = not_reported(unit, period) if period else []
    levels: dict[str, list[UnitStatus]] = {}
    for row in rows:
        levels.setdefault(row.kind, []).append(row)
    return MissingPage(
        unit=unit, period=period, periods=periods_seen(unit), levels=list(levels.items()),
        missing=len(rows),
        reminded=last_reminded([r.unit_id for r in rows], period) if period else {},
        sent=history(unit, period) if period else [], form_key=new_form_key(),
        may_remind=reach.holds_above(unit.id, REVIEW_ROLES),
        dues=_dues(period, list(levels)) if period else {})


def _dues(period: ReportingPeriod, kinds: list[str]) -> dict[str, date]:
    """The due date of each level's obligation for the period."""
    terms = _terms(period)
    return {kind: due_for(terms, kind, period) for kind in kinds}
