"""The register of outgoing documents ("sổ đăng ký văn bản đi") of an issuing unit.

One row per number taken: by the platform when a document is issued, or recorded from
outside (a number taken on paper or in the unit's document-management system). Numbers
run from 01 each calendar year (Vietnam time) per issuing body, shared by every kind of
document (Decree 30/2020/NĐ-CP Art. 15): ``(unit_id, year, number)`` is unique. The
counter row is the lock the platform takes to assign the next number (docs/documents.md).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.extensions import Model
from tenants.scoping import DistributionKeyed, TenantScoped


class Origin(enum.StrEnum):
    PLATFORM = "platform"   # assigned by the platform on issue
    OUTSIDE = "outside"     # taken outside it and recorded here


class EntryStatus(enum.StrEnum):
    ISSUED = "issued"       # in force
    REPLACED = "replaced"   # "bị thay thế": a new document replaced it (content error)
    RECALLED = "recalled"   # "thu hồi", with a reason


class SignedCopy(enum.StrEnum):
    PAPER = "paper"         # "bản giấy": the scan of the document signed and stamped on paper
    DIGITAL = "digital"     # a digitally signed PDF (the signing side, portal.signing)


ORIGIN_LABELS = {Origin.PLATFORM: _l("assigned by the platform"),
                 Origin.OUTSIDE: _l("taken outside the platform")}
ENTRY_STATUS_LABELS = {EntryStatus.ISSUED: _l("in force"),
                       EntryStatus.REPLACED: _l("replaced"),
                       EntryStatus.RECALLED: _l("recalled")}
SIGNED_COPY_LABELS = {SignedCopy.PAPER: _l("paper copy"),
                      SignedCopy.DIGITAL: _l("digitally signed")}


class RegisterCounter(DistributionKeyed, TenantScoped, Model):
    """The highest number taken in the unit's register for a year: the row every
    assignment locks (``UPDATE … RETURNING``), so two issues never take the same one."""

    __tablename__ = "register_counter"
    __table_args__ = (CheckConstraint("last_number >= 0", name="not_negative"),)

    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class RegisterEntry(DistributionKeyed, TenantScoped, Model):
    """A number of the register and the document it went to."""

    __tablename__ = "register_entry"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "number", name="uq_register_entry_number"),
        CheckConstraint("number > 0", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))            # "KH", "BC", "TB" …
    notation: Mapped[str] = mapped_column(String(60))        # "25/KH-UBND"
    issued_on: Mapped[date] = mapped_column(Date)
    subject: Mapped[str] = mapped_column(String(500))
    origin: Mapped[str] = mapped_column(String(10), default=Origin.PLATFORM.value)
    status: Mapped[str] = mapped_column(String(10), default=EntryStatus.ISSUED.value)
    # The document the number went to, when it is in the platform ("plan_revision", …).
    document_type: Mapped[str | None] = mapped_column(String(30))
    document_id: Mapped[int | None] = mapped_column(Integer)
    # Art. 18: what this document replaces, or which document this notice corrects.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("register_entry.id"))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("register_entry.id"))
    recall_reason: Mapped[str] = mapped_column(Text, default="")
    recalled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recalled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Appendix VI metadata the issue gives.
    signer_position: Mapped[str] = mapped_column(String(200), default="")
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    recipients: Mapped[str] = mapped_column(Text, default="")   # one a line
    priority: Mapped[str] = mapped_column(String(20), default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    page_amount: Mapped[int | None] = mapped_column(Integer)
    # The signed copy kept: a paper scan ("bản giấy") or a digitally signed PDF.
    signed_copy: Mapped[str | None] = mapped_column(String(10))
    scan_key: Mapped[str | None] = mapped_column(String(64))
    scan_filename: Mapped[str] = mapped_column(String(200), default="")
    scan_content_type: Mapped[str] = mapped_column(String(100), default="")
    scan_size: Mapped[int | None] = mapped_column(Integer)
    scan_sha256: Mapped[str] = mapped_column(String(64), default="")
    scan_uploaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scan_uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 default=clock.now, server_default=func.now())

    @property
    def shown_number(self) -> str:
        """The number as it is written: at least two digits ("01", "12", "125")."""
        return f"{self.number:02d}"
