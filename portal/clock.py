"""The time, in one place, so tests can set it (reporting deadlines, lock dates, reminders),
and the one conversion of a stored time to what a person reads.

Times are stored in UTC; a person reads them on Vietnam's wall clock as dd/mm/yyyy HH:MM
(``shown``), a date alone as dd/mm/yyyy (``shown_day``). Pages (the ``moment`` and ``day``
filters), exports, e-mails and the administration lists all call these two.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
MOMENT_FORMAT = "%d/%m/%Y %H:%M"
DAY_FORMAT = "%d/%m/%Y"
_frozen: datetime | None = None


def now() -> datetime:
    """The current time (aware, UTC)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def today() -> date:
    """Today's date in Vietnam, where deadlines fall."""
    return now().astimezone(LOCAL).date()


def local(moment: datetime) -> datetime:
    """A stored time on Vietnam's wall clock (a naive one is UTC: SQLite keeps no zone)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL)


def shown(value: datetime | date | None) -> str:
    """A time as a person reads it: dd/mm/yyyy HH:MM in Vietnam; a date dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local(value).strftime(MOMENT_FORMAT)
    return value.strftime(DAY_FORMAT)


def shown_day(value: datetime | date | None) -> str:
    """The day of a time or date as a person reads it, dd/mm/yyyy (Vietnam's day)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value)
    return value.strftime(DAY_FORMAT)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[datetime]:
    """Tests: make ``now()`` return ``moment`` inside the block."""
    global _frozen
    previous, _frozen = _frozen, moment
    try:
        yield moment
    finally:
        _frozen = previous
