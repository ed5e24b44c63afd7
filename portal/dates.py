"""Dates as people type them here: dd/mm/yyyy first (also dd-mm-yyyy and ISO)."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _

from portal.problems import DomainError

FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d")


class DateError(DomainError):
    """Not a date; the message is in the user's language."""


def parse_date(text: str | None) -> date | None:
    """The date ``text`` names, None when it is blank, ``DateError`` when it is not a date."""
    text = (text or "").strip()
    if not text:
        return None
    for fmt in FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise DateError(_("“%(text)s” is not a date; write it as dd/mm/yyyy.", text=text[:20]))
