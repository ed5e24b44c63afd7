"""A person's notices as the notifications page reads them, and marking them read.

The selects and the update are scoped by the tenant guard as the view's own were: a
person sees (and marks) only their notices about units in reach.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import selectinload

from portal import clock
from portal.extensions import db
from portal.notifications.notification import Notification

SHOWN = 200   # the most recent notices the page lists


def _of(user_id: int) -> Select[tuple[Notification]]:
    return select(Notification).where(Notification.user_id == user_id)


def notices_of(user_id: int) -> list[Notification]:
    """The person's most recent notices, newest first, with the transitions they tell of."""
    return list(db.session.scalars(_of(user_id).options(
        selectinload(Notification.transition)).order_by(
        Notification.created_at.desc(), Notification.id.desc()).limit(SHOWN)))


def unread_count(user_id: int) -> int:
    """How many of the person's notices are unread."""
    return db.session.scalar(select(func.count()).select_from(_of(user_id).where(
        Notification.read_at.is_(None)).subquery())) or 0


def mark_all_read(user_id: int) -> None:
    """Mark every unread notice of the person read, now (inside the caller's unit of work)."""
    db.session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=clock.now()))
