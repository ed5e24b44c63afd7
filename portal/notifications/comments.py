"""Notices of a message in a value's thread (issue 18 item 5): the other side is told.

A message by the unit (its drafters or head) tells the reviewers of the nearest level above
that has any (``reviewers_above``); a reviewer's message tells the unit's drafters and head.
Never the author. The notice is in the app at once and links to the value's panel; e-mail
follows the person's choice as workflow notices do (``portal.notifications.workflow``): at
once (a job queued after the commit), in the daily digest, or none.
"""

from __future__ import annotations

import secrets

from flask_babel import gettext as _

from portal import clock
from portal.accounts.user import EmailDelivery, User
from portal.extensions import db
from portal.frameworks.period import ReportingPeriod
from portal.jobs import enqueue_after_commit
from portal.notifications.notification import NoticeKind, Notification
from portal.notifications.recipients import members_of, reviewers_above
from portal.notifications.workflow import QUEUE, mail_notices_job, platform_language
from portal.reports.report import UnitReport
from portal.reports.value_thread import ValueComment
from tenants.scoping import system_scope
from tenants.unit import Unit


def told_of(comment: ValueComment, report: UnitReport) -> list[User]:
    """The other side of the thread, without the author."""
    # a commune drafter's scope does not see the memberships of the level above
    with system_scope("value comments: who is told"):
        if comment.side == "unit":
            people = [u for users, _units in reviewers_above([report.unit_id]).values()
                      for u in users]
        else:
            people = members_of([report.unit_id]).get(report.unit_id, [])
    return [u for u in people if u.id != comment.author_id]


def notify_comment(comment: ValueComment, report: UnitReport, indicator: str
                   ) -> list[Notification]:
    """Tell the other side of a new message; flushes, the caller commits."""
    people = told_of(comment, report)
    if not people:
        return []
    unit = db.session.get_one(Unit, report.unit_id)
    period = db.session.get_one(ReportingPeriod, report.period_id)
    author = db.session.get(User, comment.author_id) if comment.author_id else None
    with platform_language():
        title = _("A message about %(indicator)s in the %(year)d report of %(unit)s",
                  indicator=indicator, year=period.year, unit=unit.name)
        by = _("By %(person)s.", person=(author.full_name or author.username)) \
            if author else ""
    now = clock.now()
    notices = [Notification(user_id=person.id, unit_id=report.unit_id,
                            kind=NoticeKind.COMMENT.value, period_id=period.id, step=None,
                            year=period.year, title=title[:300],
                            body=f"{comment.body}\n{by}".strip(),
                            link=f"/reports/{report.id}/values/{comment.value_id}/panel"
                                 "#comments",
                            created_at=now)
               for person in people]
    db.session.add_all(notices)
    db.session.flush()
    at_once = [n.id for n, person in zip(notices, people, strict=True)
               if person.email and person.email_delivery == EmailDelivery.IMMEDIATE.value]
    if at_once:
        enqueue_after_commit(QUEUE, mail_notices_job, at_once,
                             job_id=f"comment-{comment.id}-{secrets.token_hex(4)}")
    return notices
