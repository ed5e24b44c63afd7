"""Numbers of the register: assigned on issue, recorded from outside, and what happens to
a document after issue (Decree 30/2020/NĐ-CP Art. 15 and 18).

Operations only flush; the caller commits once (``unit_of_work``), so a number taken by
an issue that then fails is rolled back with it and no gap appears. Refusals raise
``RegisterError`` with every problem in the user's language.

How two issues at the same second get different numbers: the counter row of the unit's
year is incremented by one ``UPDATE … SET last_number = last_number + 1 … RETURNING``,
which takes the row's lock until the transaction ends; the second issue waits for the
first to commit or roll back and then reads its result (docs/documents.md § Numbers).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError

from portal import clock, limits
from portal.dates import DateError, parse_date
from portal.extensions import db
from portal.limits import check_lengths
from portal.problems import DomainError
from portal.register.entry import (
    EntryStatus,
    Origin,
    RegisterCounter,
    RegisterEntry,
    SignedCopy,
)
from tenants.access import Reach
from tenants.membership import Role
from tenants.text import nfc
from tenants.unit import Unit, UnitKind

# Kinds of document and their letters (Decree 30, Appendix III); a "công văn" has none.
KINDS = {
    "KH": _l("Plan"), "BC": _l("Report"), "TB": _l("Notice"), "QĐ": _l("Decision"),
    "TTr": _l("Submission"), "CT": _l("Directive"), "GM": _l("Invitation"),
    "CV": _l("Official letter"),
}
KIND_NAMES_VI = {"KH": "Kế hoạch", "BC": "Báo cáo", "TB": "Thông báo", "QĐ": "Quyết định",
                 "TTr": "Tờ trình", "CT": "Chỉ thị", "GM": "Giấy mời", "CV": "Công văn"}
CORRECTION_KIND = "TB"          # a correction notice ("thông báo đính chính")
MAX_NUMBER = 99_999
COMMITTEES = (UnitKind.PROVINCE.value, UnitKind.DISTRICT.value, UnitKind.COMMUNE.value)
ABBREVIATION = re.compile(r"^[A-ZĐ][A-ZĐ0-9&]{0,19}$")
# Decision 20/2020/QĐ-TTg: groups of digits and capitals separated by dots, at most 35.
ELECTRONIC_ID = re.compile(r"^[0-9A-Z]+(?:\.[0-9A-Z]+)*$")


class RegisterError(DomainError):
    """A register operation refused; ``problems`` maps a field name to its message."""


# ---- the unit's letters and identifier ----------------------------------------------------


def derived_abbreviation(unit: Unit) -> str:
    """"UBND" for a people's committee, else the initials of the name ("Sở Khoa học và
    Công nghệ" → "SKHCN")."""
    if unit.kind in COMMITTEES:
        return "UBND"
    letters = "".join(word[0] for word in unit.name.split()
                      if word.lower() != "và" and word[0].isalnum())
    return letters.upper()[:20] or "CQ"


def abbreviation_of(unit: Unit) -> str:
    """The body's letters in its documents' numbers: set by the admin, else derived."""
    return unit.abbreviation or derived_abbreviation(unit)


def set_identity(unit: Unit, abbreviation: str | None, electronic_id: str | None) -> None:
    """The unit's letters and its electronic identifier, as the admin typed them (empty:
    derived letters, no identifier); each checked, nothing changed on a refusal."""
    problems: dict[str, str] = {}
    letters = nfc((abbreviation or "").strip()).upper()
    if letters and not ABBREVIATION.match(letters):
        problems["abbreviation"] = _("The letters of the unit are capitals and digits "
                                     "without spaces, at most 20, as in SKHCN or UBND.")
    identifier = (electronic_id or "").strip()
    try:
        check_electronic_id(identifier)
    except RegisterError as exc:
        problems.update(exc.problems)
    if identifier and not problems and db.session.scalar(select(Unit.id).where(
            Unit.electronic_id == identifier, Unit.id != unit.id)) is not None:
        problems["electronic_id"] = _("Another unit already has the electronic identifier "
                                      "%(id)s.", id=identifier)
    if problems:
        raise RegisterError(problems)
    unit.abbreviation = letters or None
    unit.electronic_id = identifier or None
    db.session.flush()


def check_electronic_id(identifier: str) -> None:
    """Decision 20/2020/QĐ-TTg: at most 35 characters, digits and capitals in groups
    separated by dots (``000.00.31.H26``); empty is allowed (none yet)."""
    if not identifier:
        return
    if len(identifier) > 35:
        raise RegisterError({"electronic_id": _(
            "The electronic identifier has at most 35 characters; this one has "
            "%(n)d.", n=len(identifier))})
    if not ELECTRONIC_ID.match(identifier):
        raise RegisterError({"electronic_id": _(
            "The electronic identifier is made of digits and capital letters in groups "
            "separated by dots, as in 000.00.31.H26.")})


# ---- numbers ---------------------------------------------------------------------------


def notation(number: int, kind: str, letters: str) -> str:
    """The number and symbol as written: "25/KH-UBND", "01/BC-SKHCN", "12/UBND" for a
    công văn (whose symbol is the body's letters alone)."""
    if kind == "CV":
        return f"{number:02d}/{letters}"
    return f"{number:02d}/{kind}-{letters}"


def _ensure_counter(unit_id: int, year: int) -> None:
    """The counter row of the unit's year exists. Two first issues of a year may both
    insert it: the second insert waits for the first to commit and fails on the primary
    key (its savepoint is undone, nothing else), then that issue waits on the row like
    any other."""
    exists = db.session.scalar(select(RegisterCounter.year).where(
        RegisterCounter.unit_id == unit_id, RegisterCounter.year == year))
    if exists is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(RegisterCounter(unit_id=unit_id, year=year, last_number=0))
    except IntegrityError:
        pass


def _take_next(unit_id: int, year: int) -> int:
    """The next number of the unit's year, the counter row locked until the commit."""
    _ensure_counter(unit_id, year)
    return db.session.execute(
        update(RegisterCounter)
        .where(RegisterCounter.unit_id == unit_id, RegisterCounter.year == year)
        .values(last_number=RegisterCounter.last_number + 1)
        .returning(RegisterCounter.last_number)
        .execution_options(synchronize_session=False)).scalar_one()


def _raise_to(unit_id: int, year: int, number: int) -> None:
    """The counter at least ``number`` (a number taken outside), locked until the commit."""
    _ensure_counter(unit_id, year)
    db.session.execute(
        update(RegisterCounter)
        .where(RegisterCounter.unit_id == unit_id, RegisterCounter.year == year)
        .values(last_number=case((RegisterCounter.last_number < number, number),
                                 else_=RegisterCounter.last_number))
        .execution_options(synchronize_session=False))


def next_number(unit: Unit, on: date | None = None) -> int:
    """The number the next issue would take (shown before it; not reserved)."""
    year = (on or clock.today()).year
    last = db.session.scalar(select(RegisterCounter.last_number).where(
        RegisterCounter.unit_id == unit.id, RegisterCounter.year == year))
    return (last or 0) + 1


def next_notation(unit: Unit, kind: str, on: date | None = None) -> str:
    return notation(next_number(unit, on), kind, abbreviation_of(unit))


@dataclass(frozen=True)
class Issue:
    """What the register keeps of a document issued in the platform (Appendix VI)."""

    subject: str
    document_type: str | None = None      # "plan_revision", "unit_report", …
    document_id: int | None = None
    signer_position: str = ""
    signer_name: str = ""
    recipients: str = ""
    priority: str = ""
    due_date: date | None = None
    page_amount: int | None = None


def assign_number(unit: Unit, kind: str, issue: Issue, *, on: date | None = None,
                  user_id: int | None = None,
                  replaces: RegisterEntry | None = None) -> RegisterEntry:
    """Take the next number of ``unit``'s register for the year of ``on`` (today in
    Vietnam by default) and record the document under it; ``replaces`` is marked
    replaced by it (Art. 18, a content error). Flushes only: the caller's rollback
    gives the number back."""
    if kind not in KINDS:
        raise RegisterError({"kind": _("Choose the kind of document.")})
    day = on or clock.today()
    number = _take_next(unit.id, day.year)
    entry = RegisterEntry(
        unit_id=unit.id, year=day.year, number=number, kind=kind,
        notation=notation(number, kind, abbreviation_of(unit)), issued_on=day,
        subject=_clean(issue.subject)[:500], origin=Origin.PLATFORM.value,
        document_type=issue.document_type, document_id=issue.document_id,
        signer_position=_clean(issue.signer_position)[:200],
        signer_name=_clean(issue.signer_name)[:200],
        recipients=_clean(issue.recipients), priority=issue.priority[:20],
        due_date=issue.due_date, page_amount=issue.page_amount, created_by_id=user_id)
    db.session.add(entry)
    db.session.flush()
    if replaces is not None:
        _replace(replaces, entry)
    return entry


def _replace(old: RegisterEntry, new: RegisterEntry) -> None:
    if old.unit_id != new.unit_id:
        raise RegisterError([_("A document can only replace one of its own unit.")])
    if old.status != EntryStatus.ISSUED.value:
        raise RegisterError([_("Only a document in force can be replaced.")])
    old.status = EntryStatus.REPLACED.value
    new.replaces_id = old.id
    db.session.flush()


def _clean(text: str) -> str:
    text = "\n".join(nfc(line).strip() for line in (text or "").replace("\r\n", "\n")
                     .split("\n"))
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text).strip()


def record_outside(unit: Unit, values: dict[str, str],
                   user_id: int | None = None) -> RegisterEntry:
    """A number taken outside the platform (on paper, in the unit's document system),
    recorded so the sequence stays shared: the next assigned number follows the highest.
    A number the register already holds for that year is refused."""
    check_lengths(RegisterError, subject=(values.get("subject"), 500),
                  recipients=(values.get("recipients"), limits.NOTE))
    problems: dict[str, str] = {}
    text = (values.get("number") or "").strip()
    number = int(text) if text.isdigit() else 0
    if not 0 < number <= MAX_NUMBER:
        problems["number"] = _("Enter the number as a whole number from 1 to %(max)s.",
                               max="99.999")
    kind = (values.get("kind") or "").strip()
    if kind not in KINDS:
        problems["kind"] = _("Choose the kind of document.")
    day: date | None = None
    try:
        day = parse_date(values.get("issued_on"))
    except DateError as exc:
        problems["issued_on"] = str(exc)
    if day is None and "issued_on" not in problems:
        problems["issued_on"] = _("Enter the date of issue.")
    elif day is not None and day > clock.today():
        problems["issued_on"] = _("The date of issue cannot be later than today.")
    subject = _clean(values.get("subject", ""))
    if not subject:
        problems["subject"] = _("Enter the subject of the document.")
    if problems:
        raise RegisterError(problems)
    assert day is not None  # noqa: S101 - for the type checker: refused above otherwise
    _raise_to(unit.id, day.year, number)   # the lock first: no issue can take it meanwhile
    taken = db.session.scalar(select(RegisterEntry).where(
        RegisterEntry.unit_id == unit.id, RegisterEntry.year == day.year,
        RegisterEntry.number == number))
    if taken is not None:
        raise RegisterError({"number": _(
            "Number %(number)s of %(year)s is already in the register: %(notation)s of "
            "%(day)s, “%(subject)s”. Each number is used once a year.",
            number=f"{number:02d}", year=day.year, notation=taken.notation,
            day=clock.shown_day(taken.issued_on), subject=taken.subject[:80])})
    entry = RegisterEntry(
        unit_id=unit.id, year=day.year, number=number, kind=kind,
        notation=notation(number, kind, abbreviation_of(unit)), issued_on=day,
        subject=subject, origin=Origin.OUTSIDE.value,
        recipients=_clean(values.get("recipients", "")), created_by_id=user_id)
    db.session.add(entry)
    db.session.flush()
    return entry


# ---- after issue (Art. 18) ---------------------------------------------------------------

# What a document of the platform does when its number is recalled or corrected: the
# plan, say, marks its revision recalled and writes its history. Registered by the
# document's own package (portal.plans.service), so the register imports none of them.
Hook = Callable[[RegisterEntry, RegisterEntry | None, int | None, str], None]
_ON_RECALL: dict[str, Hook] = {}
_ON_CORRECTION: dict[str, Hook] = {}


def on_recall(document_type: str, hook: Hook) -> None:
    _ON_RECALL[document_type] = hook


def on_correction(document_type: str, hook: Hook) -> None:
    _ON_CORRECTION[document_type] = hook


def recall(entry: RegisterEntry, reason: str, user_id: int | None) -> RegisterEntry:
    """Recall ("thu hồi") a document in force, with the reason; its number stays taken."""
    check_lengths(RegisterError, reason=(reason, limits.NOTE))
    reason = _clean(reason)
    if entry.status != EntryStatus.ISSUED.value:
        raise RegisterError([_("Only a document in force can be recalled; this one is "
                               "already replaced or recalled.")])
    if not reason:
        raise RegisterError({"reason": _("Say why the document is recalled.")})
    entry.status = EntryStatus.RECALLED.value
    entry.recall_reason = reason
    entry.recalled_at = clock.now()
    entry.recalled_by_id = user_id
    db.session.flush()
    if entry.document_type in _ON_RECALL:
        _ON_RECALL[entry.document_type](entry, None, user_id, reason)
    return entry


def issue_correction(entry: RegisterEntry, text: str, user_id: int | None,
                     on: date | None = None) -> RegisterEntry:
    """A correction notice ("đính chính") for a format error of a document in force: a
    document of its own, with its own number, linked to the one it corrects."""
    check_lengths(RegisterError, text=(text, 450))
    text = _clean(text)
    if entry.status != EntryStatus.ISSUED.value:
        raise RegisterError([_("Only a document in force can be corrected.")])
    if entry.corrects_id is not None:
        raise RegisterError([_("A correction notice is not corrected itself; issue "
                               "another notice for the document.")])
    if not text:
        raise RegisterError({"text": _("Say what is corrected (the place and the right "
                                       "wording).")})
    unit = db.session.get_one(Unit, entry.unit_id)
    kind_name = KIND_NAMES_VI.get(entry.kind, "văn bản")
    notice = assign_number(unit, CORRECTION_KIND, Issue(
        subject=f"Đính chính {kind_name} số {entry.notation} ngày "
                f"{clock.shown_day(entry.issued_on)}: {text}",
        signer_position=entry.signer_position, signer_name=entry.signer_name,
        recipients=entry.recipients), on=on, user_id=user_id)
    notice.corrects_id = entry.id
    db.session.flush()
    if entry.document_type in _ON_CORRECTION:
        _ON_CORRECTION[entry.document_type](entry, notice, user_id, text)
    return notice


# ---- reading ------------------------------------------------------------------------------


def entry_of(document_type: str, document_id: int) -> RegisterEntry | None:
    """The register entry of a document of the platform (its latest, if renumbered)."""
    return db.session.scalar(select(RegisterEntry).where(
        RegisterEntry.document_type == document_type,
        RegisterEntry.document_id == document_id).order_by(RegisterEntry.id.desc()).limit(1))


def entries(unit: Unit, year: int) -> list[RegisterEntry]:
    """The unit's register for a year, in the order of the numbers."""
    return list(db.session.scalars(select(RegisterEntry).where(
        RegisterEntry.unit_id == unit.id, RegisterEntry.year == year)
        .order_by(RegisterEntry.number)))


def years_of(unit: Unit) -> list[int]:
    """The years the unit's register has numbers in, and this year, newest first."""
    years = set(db.session.scalars(select(RegisterEntry.year).where(
        RegisterEntry.unit_id == unit.id).distinct()))
    return sorted(years | {clock.today().year}, reverse=True)


def related(entry: RegisterEntry) -> dict[str, RegisterEntry | None]:
    """The documents linked to ``entry``: what replaced it, what it replaces, what it
    corrects; and its correction notices under "corrections" (see ``corrections_of``)."""
    ids = {entry.replaces_id, entry.corrects_id} - {None}
    found = {e.id: e for e in db.session.scalars(select(RegisterEntry).where(
        RegisterEntry.id.in_(ids)))} if ids else {}
    return {"replaced_by": db.session.scalar(select(RegisterEntry).where(
                RegisterEntry.replaces_id == entry.id)),
            "replaces": found.get(entry.replaces_id) if entry.replaces_id else None,
            "corrects": found.get(entry.corrects_id) if entry.corrects_id else None}


def corrections_of(entry: RegisterEntry) -> list[RegisterEntry]:
    return list(db.session.scalars(select(RegisterEntry).where(
        RegisterEntry.corrects_id == entry.id).order_by(RegisterEntry.number)))


def mark_digitally_signed(entry: RegisterEntry, page_amount: int | None = None) -> None:
    """The signing side (portal.signing) says the document's signed PDF is kept and
    verified: the entry shows as digitally signed, never as a paper copy."""
    if entry.signed_copy == SignedCopy.PAPER.value:
        raise RegisterError([_("This document was recorded as a paper copy; it is not "
                               "marked digitally signed.")])
    entry.signed_copy = SignedCopy.DIGITAL.value
    if page_amount is not None:
        entry.page_amount = page_amount
    db.session.flush()


def keeps_register(reach: Reach, unit_id: int) -> bool:
    """Who records numbers, recalls, corrects and uploads paper copies: the unit's head
    and its administrator, as issuing is (never a platform operator acting as one)."""
    return bool(reach.roles_in(unit_id) & {Role.HEAD, Role.ADMIN})
