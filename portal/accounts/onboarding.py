"""Bulk onboarding: accounts from a spreadsheet, checked row by row before anything is
written, then created all together or not at all, each with a temporary password the
person must change at the first sign-in."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import Select, select

from portal.accounts.service import (
    USERNAME_PATTERN,
    AccountError,
    create_user,
    grant,
    normalize_username,
    temporary_password,
)
from portal.accounts.user import User
from portal.extensions import db
from portal.spreadsheets import Table, read_table
from tenants.membership import ROLE_LABELS, Role
from tenants.text import search_key
from tenants.unit import Unit

COLUMNS = ("username", "full_name", "email", "unit_code", "role")
ALIASES = {
    "username": "username", "user name": "username", "tên đăng nhập": "username",
    "full_name": "full_name", "full name": "full_name", "họ và tên": "full_name",
    "họ tên": "full_name", "email": "email", "e-mail": "email", "thư điện tử": "email",
    "unit_code": "unit_code", "unit": "unit_code", "mã đơn vị": "unit_code",
    "role": "role", "vai trò": "role",
}
# The header of the template offered for download: the Vietnamese names ALIASES accepts.
TEMPLATE_HEADER = ("tên đăng nhập", "họ và tên", "thư điện tử", "mã đơn vị", "vai trò")


def template_rows(unit_code: str) -> list[list[str]]:
    """The import template: its header and one example row, in a unit of the caller's
    (a role by its name in the reader's language, which ``read_accounts`` accepts)."""
    return [list(TEMPLATE_HEADER),
            ["nguyen.van.a", "Nguyễn Văn A", "nguyen.van.a@example.org", unit_code,
             str(ROLE_LABELS[Role.DRAFTER])]]


def role_of(text: str) -> str:
    """A role as a file writes it: its identifier ("drafter") or its name in the reader's
    language ("Cán bộ soạn thảo", with or without diacritics); anything else as given."""
    key = search_key(text)
    for role in Role:
        if key in (role.value, search_key(str(ROLE_LABELS[role]))):
            return role.value
    return text.strip().lower()


class Handover(NamedTuple):
    """What a person is handed for a new account: who, where, how to sign in the first time."""

    full_name: str
    unit_name: str
    username: str
    password: str


@dataclass
class AccountRow:
    line: int
    username: str
    full_name: str
    email: str
    unit_code: str
    role: str
    problems: list[str] = field(default_factory=list)
    unit: Unit | None = None


@dataclass
class AccountImport:
    rows: list[AccountRow]
    notes: list[str]
    problems: list[str] = field(default_factory=list)   # of the file as a whole

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows) and not any(r.problems for r in self.rows)


def read_accounts(filename: str, data: bytes, allowed_units: Select) -> AccountImport:
    """Read and check every row; ``allowed_units`` selects the unit ids the caller may
    give roles in. Nothing is written."""
    table: Table = read_table(filename, data, ALIASES)
    missing = [c for c in COLUMNS if c not in table.header and c not in ("full_name", "email")]
    result = AccountImport(rows=[], notes=table.notes)
    if missing:
        result.problems.append(_("The file lacks the columns: %(cols)s (expected: %(all)s).",
                                 cols=", ".join(missing), all=", ".join(COLUMNS)))
        return result
    for line, values in table.rows:
        result.rows.append(AccountRow(
            line=line, username=normalize_username(values.get("username", "")),
            full_name=values.get("full_name", ""), email=values.get("email", ""),
            unit_code=values.get("unit_code", ""), role=role_of(values.get("role", ""))))
    _check(result.rows, allowed_units)
    return result


def _check(rows: list[AccountRow], allowed_units: Select) -> None:
    names = Counter(r.username for r in rows)
    taken = set(db.session.scalars(select(User.username).where(
        User.username.in_(list(names)))))
    units = {u.code: u for u in db.session.scalars(select(Unit).where(
        Unit.code.in_({r.unit_code for r in rows}), Unit.id.in_(allowed_units)))}
    roles = {r.value for r in Role}
    for row in rows:
        if not USERNAME_PATTERN.match(row.username):
            row.problems.append(_("user name “%(name)s”: 3 to 80 lower-case letters, digits, "
                                  "dot, dash or underscore", name=row.username[:80]))
        elif names[row.username] > 1:
            lines = [str(r.line) for r in rows if r.username == row.username]
            row.problems.append(_("user name %(name)s appears on lines %(lines)s",
                                  name=row.username, lines=", ".join(lines)))
        elif row.username in taken:
            row.problems.append(_("user name %(name)s is already taken", name=row.username))
        if len(row.full_name) > 160:
            row.problems.append(_("the full name is longer than 160 characters"))
        if row.email and (len(row.email) > 254 or "@" not in row.email):
            row.problems.append(_("“%(email)s” is not an e-mail address",
                                  email=row.email[:60]))
        row.unit = units.get(row.unit_code)
        if row.unit is None:
            row.problems.append(_("unit code “%(code)s” is unknown or outside the units you "
                                  "administer", code=row.unit_code[:32]))
        if row.role not in roles:
            row.problems.append(_("role “%(role)s”: use one of %(roles)s", role=row.role[:20],
                                  roles=", ".join(sorted(roles))))


def create_accounts(result: AccountImport) -> list[Handover]:
    """Create every account of a checked import (all or nothing: the caller commits once,
    or rolls back on ``AccountError``); returns what to hand each person, with the
    temporary password (kept nowhere else in clear)."""
    if not result.ok:
        raise AccountError([_("The file has problems; nothing was imported.")])
    handed = []
    for row in result.rows:
        user = create_user(row.username, full_name=row.full_name, email=row.email or None)
        grant(user, row.unit, row.role)  # type: ignore[arg-type]  # result.ok: every row has one
        handed.append(Handover(user.full_name, row.unit.name, user.username,  # type: ignore[union-attr]  # as above
                               temporary_password(user)))
    return handed
