"""What the register pages show: typed read-models, built here."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.register.entry import EntryStatus, RegisterEntry
from portal.register.export import register_workbook
from portal.register.service import (
    KINDS,
    abbreviation_of,
    entries,
    keeps_register,
    next_notation,
    years_of,
)
from tenants.access import Reach
from tenants.unit import Unit


@dataclass
class RegisterPage:
    """A unit's register for a year, with what the caller may do on it."""

    unit: Unit
    year: int
    years: list[int]
    rows: list[RegisterEntry]
    notes: dict[int, list[str]]            # by entry: replaced by, corrects, recalled …
    kinds: dict[str, str]
    letters: str                           # the body's letters ("UBND", "SKHCN")
    next_plan: str                         # the number the next plan would take
    keeps_register: bool
    today: str


def notes_of(rows: list[RegisterEntry]) -> dict[int, list[str]]:
    """What the register says beside each number about the life of its document."""
    by_id = {e.id: e for e in rows}
    missing = {i for e in rows for i in (e.replaces_id, e.corrects_id) if i} - set(by_id)
    if missing:
        by_id.update({e.id: e for e in db.session.scalars(select(RegisterEntry).where(
            RegisterEntry.id.in_(missing)))})
    later = list(db.session.scalars(select(RegisterEntry).where(
        (RegisterEntry.replaces_id.in_([e.id for e in rows]))
        | (RegisterEntry.corrects_id.in_([e.id for e in rows]))))) if rows else []
    notes: dict[int, list[str]] = {e.id: [] for e in rows}
    for entry in rows:
        if entry.replaces_id and entry.replaces_id in by_id:
            notes[entry.id].append(_("replaces %(number)s",
                                     number=by_id[entry.replaces_id].notation))
        if entry.corrects_id and entry.corrects_id in by_id:
            notes[entry.id].append(_("correction notice for %(number)s",
                                     number=by_id[entry.corrects_id].notation))
        if entry.status == EntryStatus.RECALLED.value:
            notes[entry.id].append(_("recalled on %(day)s: %(reason)s",
                                     day=clock.shown_day(entry.recalled_at),
                                     reason=entry.recall_reason))
    for other in later:
        if other.replaces_id in notes:
            notes[other.replaces_id].append(_("replaced by %(number)s",
                                              number=other.notation))
        if other.corrects_id in notes:
            notes[other.corrects_id].append(_("corrected by %(number)s",
                                              number=other.notation))
    return notes


def register_page(unit: Unit, year: int, reach: Reach) -> RegisterPage:
    rows = entries(unit, year)
    return RegisterPage(
        unit=unit, year=year, years=years_of(unit), rows=rows, notes=notes_of(rows),
        kinds={k: str(v) for k, v in KINDS.items()}, letters=abbreviation_of(unit),
        next_plan=next_notation(unit, "KH"), keeps_register=keeps_register(reach, unit.id),
        today=clock.shown_day(clock.today()))


def register_file(unit: Unit, year: int) -> tuple[bytes, str]:
    """The register of the year as an Excel workbook, in Vietnamese whoever downloads it."""
    rows = entries(unit, year)
    with force_locale("vi"):
        notes = {i: "; ".join(n) for i, n in notes_of(rows).items()}
    return register_workbook(unit, year, rows, notes)
