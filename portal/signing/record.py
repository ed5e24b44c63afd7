"""The PDF of record of a plan, a unit report or a consolidated report, and its
signatures: one row per document, kept with the SHA-256 of each file (the files are in
the store, ``portal.storage``)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.extensions import Model
from tenants.scoping import DistributionKeyed, TenantScoped


class RecordKind(enum.StrEnum):
    PLAN = "plan"                    # an issued revision of a unit's plan
    REPORT = "report"                # a unit's annual report
    CONSOLIDATION = "consolidation"  # a consolidated report of a subtree


class RecordStatus(enum.StrEnum):
    APPROVED = "approved"    # approved by the signer, waiting for the clerk's number
    QUEUED = "queued"        # the PDF is being made (a background job)
    FAILED = "failed"        # it could not be made; ``error`` says why
    RENDERED = "rendered"    # the PDF of record, waiting for the signer
    SIGNED = "signed"        # signed by the signer (head or leader), verified
    ISSUED = "issued"        # the organisation's signature applied by the clerk, verified


RECORD_STATUS_LABELS = {RecordStatus.APPROVED: _l("Approved; waiting for the clerk's number"),
                        RecordStatus.QUEUED: _l("Making the PDF"),
                        RecordStatus.FAILED: _l("PDF not made"),
                        RecordStatus.RENDERED: _l("Waiting for the signer"),
                        RecordStatus.SIGNED: _l("Signed; waiting for the clerk"),
                        RecordStatus.ISSUED: _l("Issued with the organisation's signature")}
RECORD_KIND_LABELS = {RecordKind.PLAN: _l("Plan"), RecordKind.REPORT: _l("Report"),
                      RecordKind.CONSOLIDATION: _l("Consolidated report")}


class DocumentRecord(DistributionKeyed, TenantScoped, Model):
    __tablename__ = "document_record"
    __table_args__ = (UniqueConstraint("kind", "object_id", name="uq_document_record_object"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)  # the issuer
    kind: Mapped[str] = mapped_column(String(16))
    # the plan revision, unit report or consolidation (by ``kind``)
    object_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    doc_number: Mapped[str | None] = mapped_column(String(60))  # from the issued revision
    issued_on: Mapped[date | None] = mapped_column(Date)
    attachment: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default=RecordStatus.QUEUED.value)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    job_id: Mapped[str] = mapped_column(String(80), default="")
    # the PDF of record: what is signed, and kept
    pdf_key: Mapped[str | None] = mapped_column(String(40))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_size: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    layout: Mapped[dict] = mapped_column(JSON, default=dict)   # where the signatures go
    rendered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the signer's signature (head or leader), uploaded and verified
    signed_key: Mapped[str | None] = mapped_column(String(40))
    signed_sha256: Mapped[str | None] = mapped_column(String(64))
    signed_size: Mapped[int] = mapped_column(Integer, default=0)
    signer_subject: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # the organisation's signature, applied by the clerk (here or uploaded), verified
    issued_key: Mapped[str | None] = mapped_column(String(40))
    issued_sha256: Mapped[str | None] = mapped_column(String(64))
    organisation_subject: Mapped[str] = mapped_column(Text, default="")
    sealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sealed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # the office flow: the signer approved; the clerk issued it with the register's number
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    numbered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    numbered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    @property
    def final_key(self) -> str | None:
        """The newest signed file: the issued one, else the signer's."""
        return self.issued_key or self.signed_key
