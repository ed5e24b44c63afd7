"""The time, in one place, so tests can set it (reporting deadlines, lock dates, reminders)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
_frozen: datetime | None = None


def now() -> datetime:
    """The current time (aware, UTC)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def today() -> date:
    """Today's date in Vietnam, where deadlines fall."""
    return now().astimezone(LOCAL).date()


@contextmanager
def frozen_at(moment: datetime) -> Iterator[datetime]:
    """Tests: make ``now()`` return ``moment`` inside the block."""
    global _frozen
    previous, _frozen = _frozen, moment
    try:
        yield moment
    finally:
        _frozen = previous
