"""Notices of a report's workflow steps, in the app and by e-mail (issue 16 item 3).

``notify_transition`` is called for every recorded transition (``portal.reports.service``)
inside the transition's own unit of work, so a refused or rolled-back step tells nobody.
Who is told (never the person who acted):

* hand_over (the drafter hands the report to the head, "trình") — the unit's head(s);
* send_back (the head sends it back, with a note) — the unit's drafters;
* submit — the reviewers of the nearest level above that has any (portal.review);
* return (with the reason), accept, reopen (with the reason) — the unit's drafters and head.

Each recipient gets one in-app notice per transition (a unique constraint). E-mail follows
the person's choice (``User.email_delivery``): at once — an RQ job queued after the commit,
so a slow SMTP server never slows or fails the step; a daily digest — one message each
morning (``send_digest``), except that a report sent back for correction (REJECTIONS) is
mailed at once all the same; none. A failed delivery is kept in ``email_error``; the
in-app notice stays. Notices are worded in the platform's language (Vietnamese): the app
keeps no language per person.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from portal import clock
from portal.accounts.user import EmailDelivery, User
from portal.extensions import db
from portal.frameworks.period import ReportingPeriod
from portal.jobs import enqueue_after_commit, in_app_context
from portal.notifications import daily
from portal.notifications.daily import DailyRun
from portal.notifications.mail import send_mail
from portal.notifications.notification import REJECTIONS, NoticeKind, Notification
from portal.notifications.recipients import members_of, reviewers_above
from portal.reports.report import ReportTransition, UnitReport
from tenants.membership import WRITE_ROLES, Role
from tenants.scoping import system_scope
from tenants.unit import Unit

log = logging.getLogger(__name__)

QUEUE = "notifications"
DIGEST_WINDOW = timedelta(days=7)     # a digest lists the unmailed notices this recent
LEFTOVER_AFTER = timedelta(hours=1)   # an at-once e-mail not sent by then goes in the digest

# who is told of each step: the unit's people in these roles, or "reviewers" above it
TOLD = {"hand_over": frozenset({Role.HEAD.value}),
        "send_back": frozenset({Role.DRAFTER.value}),
        "submit": "reviewers",
        "return": WRITE_ROLES, "accept": WRITE_ROLES, "reopen": WRITE_ROLES}


@dataclass(frozen=True)
class Recipient:
    user_id: int
    delivery: str        # EmailDelivery; NONE as well when the account has no address


@contextmanager
def platform_language() -> Iterator[None]:
    """Word notices and e-mails in the platform's language, whoever's request runs this."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        yield


def recipients(transition: ReportTransition) -> list[Recipient]:
    """The people told of ``transition``, without the one who took it."""
    told = TOLD.get(transition.action)
    if told is None:
        return []
    # the drafter's own scope does not see the memberships of the level above
    with system_scope("workflow notices: who is told of a report's step"):
        if told == "reviewers":
            people = [u for users, _units in reviewers_above([transition.unit_id]).values()
                      for u in users]
        else:
            people = members_of([transition.unit_id], told).get(transition.unit_id, [])
        return [Recipient(u.id, u.email_delivery if u.email else EmailDelivery.NONE.value)
                for u in people if u.id != transition.user_id]


def notify_transition(transition: ReportTransition) -> list[Notification]:
    """Tell the people concerned of a recorded transition; flushes, the caller commits."""
    people = recipients(transition)
    if not people:
        return []
    report = db.session.get(UnitReport, transition.report_id)
    unit = db.session.get(Unit, transition.unit_id)
    period = db.session.get(ReportingPeriod, report.period_id)  # type: ignore[union-attr]  # the transition's report exists
    actor = db.session.get(User, transition.user_id) if transition.user_id else None
    with platform_language():
        title, body = wording(transition, unit.name, period.year,  # type: ignore[union-attr]  # the report's unit and period exist
                              (actor.full_name or actor.username) if actor else "")
    now = clock.now()
    notices = [Notification(user_id=p.user_id, unit_id=transition.unit_id,
                            kind=NoticeKind.WORKFLOW.value, period_id=period.id, step=None,  # type: ignore[union-attr]  # as above
                            transition_id=transition.id, year=period.year, title=title,  # type: ignore[union-attr]  # as above
                            body=body, link=f"/reports/{transition.report_id}",
                            created_at=now)
               for p in people]
    db.session.add_all(notices)
    db.session.flush()
    at_once = [n.id for n, p in zip(notices, people, strict=True)
               if mailed_at_once(p.delivery, transition.action)]
    if at_once:
        enqueue_after_commit(QUEUE, mail_notices_job, at_once,
                             job_id=f"notices-{transition.id}-{secrets.token_hex(4)}")
    return notices


def mailed_at_once(delivery: str, action: str) -> bool:
    """Immediate for those who chose it; for digest readers, when the report is sent back."""
    return delivery == EmailDelivery.IMMEDIATE.value or (
        delivery == EmailDelivery.DIGEST.value and action in REJECTIONS)


def wording(transition: ReportTransition, unit: str, year: int, actor: str
            ) -> tuple[str, str]:
    """The notice's title and body: what happened, and the reason first when there is one."""
    reason = transition.reason.strip()
    by = _("By %(person)s.", person=actor) if actor else ""
    action = transition.action
    if action == "hand_over":
        title = _("The %(year)d report of %(unit)s was handed to you to submit",
                  year=year, unit=unit)
        body = _("Check it, then submit it to the reviewing level or send it back to the "
                 "drafter with a note.")
    elif action == "send_back":
        title = _("The unit head sent the %(year)d report of %(unit)s back to you",
                  year=year, unit=unit)
        body = _("The head's note: %(note)s", note=reason) if reason else ""
    elif action == "submit":
        title = _("%(unit)s submitted its %(year)d report for review", unit=unit, year=year)
        body = _("The report is waiting for your review: accept it, or return it with "
                 "the reason.")
    elif action == "return":
        title = _("The %(year)d report of %(unit)s was returned for correction",
                  year=year, unit=unit)
        body = _("Reason: %(reason)s", reason=reason)
    elif action == "accept":
        title = _("The %(year)d report of %(unit)s was accepted", year=year, unit=unit)
        body = ""
    else:  # reopen
        title = _("The %(year)d report of %(unit)s was reopened for correction",
                  year=year, unit=unit)
        body = _("Reason: %(reason)s", reason=reason)
    return title[:300], " ".join(part for part in (body, by) if part)


# ---- e-mail -----------------------------------------------------------------------------


def _url(notice: Notification) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + notice.link


def _footer() -> str:
    return _("You receive this e-mail because you draft, head or review this unit's "
             "reports. On the Notifications page of the platform you choose how e-mails "
             "reach you: each at once, one digest a day, or none.")


@in_app_context
def mail_notices_job(notice_ids: list[int]) -> str:
    """The RQ job: e-mail these notices, each once, to those who still want e-mail."""
    sent = 0
    with system_scope("workflow notices: e-mail at once"), platform_language():
        rows = db.session.execute(
            select(Notification, User).join(User, User.id == Notification.user_id)
            .where(Notification.id.in_(notice_ids), Notification.emailed_at.is_(None))
            .order_by(Notification.id)).tuples().all()
        todo = [(notice, user) for notice, user in rows if user.active and user.mailable]
        _claim([notice for notice, _user in todo])
        for notice, user in todo:
            try:
                send_mail(user.email, notice.title,  # type: ignore[arg-type]  # mailable: it has one
                          "\n\n".join(p for p in (notice.body, _url(notice), _footer()) if p))
                sent += 1
            except Exception as exc:
                log.warning("workflow e-mail to user %s failed: %s", user.id, exc)
                notice.email_error = str(exc)[:500]
        db.session.commit()
    return f"{sent} e-mails"


def _claim(notices: list[Notification]) -> None:
    """Mark the notices e-mailed and commit before any message leaves: at most once."""
    now = clock.now()
    for notice in notices:
        notice.emailed_at = now
    db.session.commit()


@dataclass
class Digest:
    people: int = 0
    notices: int = 0
    failures: int = 0


def send_digest(today: date) -> Digest:
    """Send each digest reader one message with their unmailed workflow notices (and
    messages about figures, portal.notifications.comments).

    Also picks up an at-once e-mail whose job never ran (the queue was down) an hour on.
    Safe to run any number of times: what it lists is marked e-mailed first.
    """
    done = Digest()
    now = clock.now()
    with system_scope("workflow notices: the daily digest"), platform_language():
        rows = db.session.execute(
            select(Notification, User).join(User, User.id == Notification.user_id)
            .where(Notification.kind.in_([NoticeKind.WORKFLOW.value,
                                          NoticeKind.COMMENT.value]),
                   Notification.emailed_at.is_(None),
                   Notification.created_at >= now - DIGEST_WINDOW,
                   User.active.is_(True), User.email.is_not(None), User.email != "",
                   or_(User.email_delivery == EmailDelivery.DIGEST.value,
                       and_(User.email_delivery == EmailDelivery.IMMEDIATE.value,
                            Notification.created_at < now - LEFTOVER_AFTER)))
            .order_by(User.id, Notification.created_at, Notification.id)).tuples().all()
        by_person: dict[int, tuple[User, list[Notification]]] = {}
        for notice, user in rows:
            by_person.setdefault(user.id, (user, []))[1].append(notice)
        _claim([notice for notice, _user in rows])
        for user, notices in by_person.values():
            try:
                send_mail(user.email, _("Notices about reports, %(day)s (%(count)d)",  # type: ignore[arg-type]  # selected with an address
                                        day=clock.shown_day(today), count=len(notices)),
                          _digest_body(notices))
                done.people += 1
                done.notices += len(notices)
            except Exception as exc:
                log.warning("digest e-mail to user %s failed: %s", user.id, exc)
                for notice in notices:
                    notice.email_error = str(exc)[:500]
                done.failures += 1
        db.session.commit()
    return done


def _digest_body(notices: list[Notification]) -> str:
    items = [f"• {n.title} ({clock.shown(n.created_at)})\n"
             + "".join(f"  {line}\n" for line in (n.body, _url(n)) if line)
             for n in notices]
    return "\n".join([_("Since the last digest:"), "", *items, _footer()])


@in_app_context
def digest_job(day: str, reschedule: bool = False) -> str:
    """The RQ job: ``day`` as YYYY-MM-DD. Scheduled runs book the next day's run."""
    done = send_digest(date.fromisoformat(day))
    if reschedule:
        daily.book(DIGEST, date.fromisoformat(day) + timedelta(days=1))
    return f"{done.people} digests, {done.notices} notices"


DIGEST = DailyRun("digest", digest_job, "DIGEST_HOUR")
