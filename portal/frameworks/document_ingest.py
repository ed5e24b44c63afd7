"""A scanned plan on its way in: the upload, read by OCR in a background job, then a
framework draft (``portal.frameworks.ingest``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.extensions import Model
from tenants.scoping import DistributionKeyed, TenantScoped


class DocumentIngest(DistributionKeyed, TenantScoped, Model):
    __tablename__ = "document_ingest"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)  # the owner
    filename: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(300), default="")     # the framework's, if given
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("framework.id"))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)  # the scan; dropped once read
    status: Mapped[str] = mapped_column(String(10), default="queued")   # RunStatus
    progress: Mapped[int] = mapped_column(Integer, default=0)
    page: Mapped[int] = mapped_column(Integer, default=0)      # the page being read
    pages: Mapped[int] = mapped_column(Integer, default=0)
    confidence: Mapped[list] = mapped_column(JSON, default=list)  # per page, 0-100
    # The automatic corrections of the reading, for the review screen: a list of
    # {"page", "kind", "at", "before", "after", "message"} (``ingest.correction_list``).
    corrections: Mapped[list] = mapped_column(JSON, default=list)
    error: Mapped[str] = mapped_column(Text, default="")
    job_id: Mapped[str] = mapped_column(String(80), default="")
    framework_id: Mapped[int | None] = mapped_column(ForeignKey("framework.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
