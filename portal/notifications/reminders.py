"""Report reminders: 30, 7 and 1 days before the due date, and an overdue notice after it.

``send_reminders(today)`` is the daily job. For every reporting period of a published
framework, and each of its reporting obligations by that obligation's own due date
(``portal.reports.obligations``: the provinces' report to the ministry by the national
date, the communes' to DOST by the province's), it finds the step today falls in, the
units expected to report that have not submitted, and the people to tell: the unit's
drafters and head get a notice about their unit; once overdue, the reviewers of the
nearest level above that has any get one notice listing the late units below them (not
one per unit). Each person gets one in-app notice
per unit, period and step — a unique constraint makes "never twice" hold even if the job
runs twice — and, unless they turned it off, one e-mail. Overdue notices are sent within
OVERDUE_WINDOW days of the due date; a period long past is not chased.

A day missed by the scheduler is caught up: the job sends the step today falls in (the
7-day one on day 5), never the steps already behind it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from portal import clock
from portal.accounts.user import User
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.period import ReportingPeriod
from portal.jobs import enqueue, in_app_context
from portal.notifications import daily
from portal.notifications.daily import DailyRun
from portal.notifications.mail import send_mail
from portal.notifications.notification import Notification
from portal.notifications.recipients import members_of, reviewers_above
from portal.reports.aggregate import COUNTED, active_units
from portal.reports.obligations import terms_of
from portal.reports.report import UnitReport
from tenants.scoping import system_scope
from tenants.text import search_key
from tenants.unit import Unit

log = logging.getLogger(__name__)

DAYS_BEFORE = (30, 7, 1)
OVERDUE = "overdue"
OVERDUE_WINDOW = 30   # days after the due date during which the overdue notice goes out
LISTED = 30           # late units named in a reviewer's notice (the rest are counted)


def step_for(due: date, today: date) -> str | None:
    """The reminder step ``today`` falls in for a report due on ``due``, if any."""
    days_left = (due - today).days
    if days_left < 0:
        return OVERDUE if -days_left <= OVERDUE_WINDOW else None
    for days in sorted(DAYS_BEFORE):
        if days_left <= days:
            return str(days)
    return None


@dataclass
class Sent:
    notifications: int = 0
    emails: int = 0
    email_failures: int = 0
    periods: list[str] = field(default_factory=list)


def send_reminders(today: date) -> Sent:
    """Create today's notices and send their e-mails. Safe to run any number of times."""
    sent = Sent()
    created: list[Notification] = []
    with system_scope("reminders: the daily run"):
        for period, framework in db.session.execute(
                select(ReportingPeriod, Framework)
                .join(Framework, Framework.id == ReportingPeriod.framework_id)).tuples():
            version = framework.published()
            if version is None:
                continue
            # each obligation by its own due date: the provinces' report to the ministry
            # on the national schedule, the communes' to DOST on the province's
            for terms in terms_of(framework):
                due = terms.due_for(period)
                step = step_for(due, today)
                if step is None or not terms.kinds:
                    continue
                new = _notices(period, terms.kinds, due, step)
                created.extend(new)
                sent.periods.append(f"{framework.id}/{period.year}: {step} ({len(new)})")
        db.session.commit()          # the notices exist before any e-mail leaves
        sent.notifications = len(created)
        for notice in created:
            if notice.emailed_at is None:
                continue
            user = db.session.get(User, notice.user_id)
            try:
                send_mail(user.email, notice.title, email_body(notice))  # type: ignore[union-attr, arg-type]  # emailed_at: has an e-mail
                sent.emails += 1
            except Exception as exc:
                log.warning("reminder e-mail to user %s failed: %s", notice.user_id, exc)
                notice.email_error = str(exc)[:500]
                sent.email_failures += 1
        db.session.commit()
    return sent


def _notices(period: ReportingPeriod, kinds: frozenset[str], due: date,
             step: str) -> list[Notification]:
    """The notices of one obligation's step: to the expected units of its ``kinds`` that
    have not reported, and, when overdue, to their reviewers."""
    expected = {u for u, kind in active_units(period.owner_unit_id, period.cutoff_date).items()
                if kind in kinds}
    submitted = set(db.session.scalars(select(UnitReport.unit_id).where(
        UnitReport.period_id == period.id, UnitReport.status.in_(COUNTED))))
    late = sorted(expected - submitted)
    if not late:
        return []
    already = set(db.session.execute(
        select(Notification.user_id, Notification.unit_id)
        .where(Notification.period_id == period.id, Notification.step == step)).tuples())
    now = clock.now()
    created: list[Notification] = []

    def add(user: User, notice: Notification) -> None:
        if (user.id, notice.unit_id) in already:
            return
        already.add((user.id, notice.unit_id))
        notice.user_id, notice.period_id, notice.step = user.id, period.id, step
        notice.year, notice.created_at = period.year, now
        if user.mailable:
            notice.emailed_at = now   # at most once: marked before it is sent
        db.session.add(notice)
        created.append(notice)

    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(late)))}
    writers = members_of(late)
    for unit_id in late:
        for user in writers.get(unit_id, []):
            add(user, _unit_notice(units[unit_id], period, due, step))
    if step == OVERDUE:
        for reviewing_unit, (reviewers, below) in reviewers_above(late).items():
            for user in reviewers:
                add(user, _reviewer_notice(reviewing_unit, [units[u] for u in below], period,
                                             due))
    db.session.flush()
    return created


def _unit_notice(unit: Unit, period: ReportingPeriod, due_date: date,
                 step: str) -> Notification:
    due = clock.shown_day(due_date)
    if step == OVERDUE:
        title = _("The %(year)d report of %(unit)s is overdue (it was due on %(due)s)",
                  year=period.year, unit=unit.name, due=due)
        body = _("%(unit)s has not submitted its %(year)d report, due on %(due)s. "
                 "Please submit it as soon as possible.",
                 unit=unit.name, year=period.year, due=due)
    else:
        title = _("The %(year)d report of %(unit)s is due in %(days)s days (on %(due)s)",
                  year=period.year, unit=unit.name, days=step, due=due)
        body = _("%(unit)s has not submitted its %(year)d report yet. It is due on %(due)s.",
                 unit=unit.name, year=period.year, due=due)
    return Notification(unit_id=unit.id, title=title, body=body,
                        link=f"/units/{unit.code}/reports")


def _reviewer_notice(reviewing: Unit, late: list[Unit], period: ReportingPeriod,
                     due_date: date) -> Notification:
    due = clock.shown_day(due_date)
    names = sorted((u.name for u in late), key=search_key)   # Ân after An, before B
    listed = "; ".join(names[:LISTED])
    if len(names) > LISTED:
        listed += " " + _("and %(count)d more", count=len(names) - LISTED)
    title = _("%(count)d units below %(unit)s have not submitted their %(year)d report "
              "(due on %(due)s)", count=len(late), unit=reviewing.name, year=period.year,
              due=due)
    return Notification(unit_id=reviewing.id, title=title, body=listed,
                        link=f"/units/{reviewing.code}/reports")


def email_body(notice: Notification) -> str:
    from flask import current_app

    url = current_app.config["PUBLIC_URL"].rstrip("/") + notice.link
    return "\n\n".join([notice.body, _("As of %(when)s.", when=clock.shown(notice.created_at)),
                        url, _(
        "You receive this e-mail because you draft or review this unit's reports. "
        "You can turn reminder e-mails off on the Notifications page of the platform.")])


@in_app_context
def reminders_job(day: str, reschedule: bool = False) -> str:
    """The RQ job: ``day`` as YYYY-MM-DD. Scheduled runs book the next day's run."""
    sent = send_reminders(date.fromisoformat(day))
    if reschedule:
        schedule_daily(date.fromisoformat(day) + timedelta(days=1))
    return f"{sent.notifications} notifications, {sent.emails} e-mails"


DAILY = DailyRun("reminders", reminders_job, "REMINDER_HOUR")


def queue_reminders(today: date | None = None) -> str:
    """Hand today's run to the ``notifications`` queue (or run it now without Redis)."""
    day = (today or clock.today()).isoformat()
    return enqueue("notifications", reminders_job, day, job_id=f"reminders-now-{day}")


def ensure_booked(handled: set[str] | None = None) -> str | None:
    """Book the daily run again if Redis lost it; catch up today's run once if missed.

    Even run twice, nobody is told twice (one notice per person, unit, period and step).
    See ``portal.notifications.daily.ensure_booked``.
    """
    return daily.ensure_booked(DAILY, handled)


def schedule_daily(day: date | None = None) -> str | None:
    """Book the run of ``day`` (default: the next one due) at REMINDER_HOUR, once.

    Returns the job id, or None without Redis (use ``flask reminders send``).
    """
    return daily.book(DAILY, day)
