"""A finished consolidation as files: the consolidated report (Word) and its workbook
(Excel), with who sends the report, to whom, and who signs it.

The province's consolidated report is the Department of Science and Technology's
report to the provincial People's Committee (PRODUCT.md: DOST consolidates), not the
province writing to itself: "UBND TỈNH HƯNG YÊN / SỞ KHOA HỌC VÀ CÔNG NGHỆ",
"Số: …/BC-SKHCN", "Kính gửi: Ủy ban nhân dân tỉnh Hưng Yên", signed by the
department's director. The platform knows the department as the department-kind unit
directly under the province named "Sở Khoa học và Công nghệ" (``DOST_NAME``; the demo's
33.SKHCN). A consolidation below the province (a district's) is its people's
committee's report to the committee above. Names inside a sentence take the level in
lower case ("tỉnh Hưng Yên").
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from portal.accounts.user import User
from portal.extensions import db
from portal.register import service as register
from portal.reports.consolidation_export import (
    Sender,
    build_consolidation_docx,
    build_consolidation_xlsx,
)
from portal.reports.narrative_compile import running_name
from portal.reports.pages import ConsolidationPage
from tenants.membership import Membership, Role
from tenants.text import search_key
from tenants.tree import unit_labels
from tenants.unit import Unit, UnitKind

COMMITTEES = ("province", "district", "commune")
DOST_NAME = "Sở Khoa học và Công nghệ"
DIRECTOR = "GIÁM ĐỐC"
CHAIR = "CHỦ TỊCH"


def dost_of(province: Unit) -> Unit | None:
    """The province's Department of Science and Technology: a department directly
    under it named ``DOST_NAME`` (compared without case or accents)."""
    wanted = search_key(DOST_NAME)
    return next((unit for unit in db.session.scalars(select(Unit).where(
        Unit.parent_id == province.id, Unit.kind == UnitKind.DEPARTMENT.value)
        .order_by(Unit.id)) if search_key(unit.name) == wanted), None)


def head_of(unit: Unit, role: Role = Role.HEAD) -> str | None:
    """The name of the unit's head (its first "head" account), if it has one; or of the
    first account holding ``role``."""
    return db.session.scalar(select(User.full_name).join(
        Membership, Membership.user_id == User.id).where(
        Membership.unit_id == unit.id, Membership.role == role.value,
        User.full_name != "").order_by(Membership.id).limit(1))


def _place(unit: Unit) -> str:
    """The place of the date line: the name without its level ("Hưng Yên")."""
    running = running_name(unit.name)
    return running.split(" ", 1)[1] if running != unit.name and " " in running else unit.name


CONSOLIDATION_DOCUMENT = "consolidation"   # its document type in the register


def sender_of(unit: Unit) -> Sender:
    """Who sends the consolidated report of ``unit``'s subtree, and to whom."""
    committee = f"UBND {running_name(unit.name)}"
    if unit.kind == UnitKind.PROVINCE.value and (dost := dost_of(unit)) is not None:
        return Sender(body=dost.name, parent=committee, number="     /BC-SKHCN",
                      addressee=f"Ủy ban nhân dân {running_name(unit.name)}",
                      place=_place(unit), signer_title=DIRECTOR, signer_name=head_of(dost))
    above = unit_labels([unit.parent_id]).get(unit.parent_id) if unit.parent_id else None
    addressee = (f"Ủy ban nhân dân {running_name(above[1])}" if above else
                 f"Ủy ban nhân dân {running_name(unit.name)}")
    if unit.kind in COMMITTEES:
        return Sender(body=committee, parent=None, number="     /BC-UBND", addressee=addressee,
                      place=_place(unit), signer_title=CHAIR, signer_name=head_of(unit),
                      authority="TM. ỦY BAN NHÂN DÂN")
    return Sender(body=unit.name, parent=None, number="     /BC", addressee=addressee,
                  place=_place(unit), signer_title=None, signer_name=None)


def consolidation_docx(page: ConsolidationPage) -> tuple[bytes, str]:
    """The consolidated report of a finished snapshot, and its file name: the figures of
    the snapshot, the narrative as the consolidator left it (or as compiled)."""
    row, unit = page.consolidation, page.unit
    version = page.framework.published() if page.framework else None
    sender = sender_of(unit)
    entry = register.entry_of(CONSOLIDATION_DOCUMENT, row.id)
    if entry is not None:   # issued by the clerk: the register's number and date, and
        # the name of the leader who approved it to sign (docs/signing.md)
        sender = dataclasses.replace(sender, number=entry.notation, day=entry.issued_on,
                                     signer_name=sender.signer_name or head_of(
                                         unit, Role.LEADER))
    data = build_consolidation_docx(
        page.result, sender=sender, year=row.year,
        framework_number=version.doc_number if version else None,
        # the narrative the page already compiled (compiling it again doubled the time)
        indicators=page.indicators, names=page.names, narrative=page.narrative,
        made_at=row.finished_at)
    return data, f"bao-cao-tong-hop-{unit.code}-{row.year}-{row.number}.docx"


def consolidation_xlsx(page: ConsolidationPage) -> tuple[bytes, str]:
    """The workbook of a finished snapshot, and its file name."""
    row, unit = page.consolidation, page.unit
    data = build_consolidation_xlsx(
        page.result, indicators=page.indicators, names=page.names,
        title=f"Tổng hợp năm {row.year} — {unit.name} (bản {row.number})",
        made_at=row.finished_at)
    return data, f"tong-hop-{unit.code}-{row.year}-{row.number}.xlsx"
