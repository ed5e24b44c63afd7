"""The Word and Excel files of a finished consolidation, built in the background.

A national consolidation's report has tens of thousands of narrative lines: building it
takes longer than a web request may (gunicorn's timeout), so no request builds a file.
"Prepare" (``prepare``) records a file row and queues ``build_file`` on the
consolidation queue; the page polls the row's status (htmx, like the consolidation run)
and offers the download once it is ready. A file is prepared from the snapshot and the
narrative as they are at that moment; when the narrative is edited afterwards the file
is outdated and preparing again makes a new one (``is_current``). Without Redis the job
runs in-process right after the request's commit (development and tests).
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, deferred, mapped_column

from portal import clock
from portal.extensions import Model, db
from portal.jobs import enqueue_after_commit, in_app_context
from portal.problems import DomainError
from portal.reports.consolidation import Consolidation, RunStatus
from portal.reports.consolidation_narrative import versions as narrative_versions
from tenants.scoping import DistributionKeyed, Scope, TenantScoped, use_scope

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FileKind(enum.StrEnum):
    DOCX = "docx"
    XLSX = "xlsx"


MIMETYPES = {FileKind.DOCX: DOCX_TYPE, FileKind.XLSX: XLSX_TYPE}
KIND_LABELS = {FileKind.DOCX: _l("Word (.docx)"), FileKind.XLSX: _l("Excel")}


class FileError(DomainError):
    """A file that cannot be prepared (the consolidation is not finished)."""


class ConsolidationFile(DistributionKeyed, TenantScoped, Model):
    """One prepared file of a consolidation: its state, then its bytes."""

    __tablename__ = "consolidation_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)   # the root
    consolidation_id: Mapped[int] = mapped_column(ForeignKey("consolidation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(10), default=RunStatus.QUEUED.value)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    # the narrative's section versions the file was built from (outdated when they move)
    narrative_versions: Mapped[dict] = mapped_column(JSON, default=dict)
    filename: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    error: Mapped[str] = mapped_column(Text, default="")
    job_id: Mapped[str] = mapped_column(String(80), default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def under_way(self) -> bool:
        return self.status in (RunStatus.QUEUED.value, RunStatus.RUNNING.value)

    @property
    def ready(self) -> bool:
        return self.status == RunStatus.DONE.value


def latest_files(consolidation: Consolidation) -> dict[str, ConsolidationFile]:
    """The latest file of each kind prepared for the consolidation."""
    rows = db.session.scalars(select(ConsolidationFile).where(
        ConsolidationFile.consolidation_id == consolidation.id)
        .order_by(ConsolidationFile.id))
    return {row.kind: row for row in rows}


def is_current(file: ConsolidationFile, consolidation: Consolidation) -> bool:
    """The file holds the narrative as it is now."""
    return (file.narrative_versions or {}) == narrative_versions(consolidation)


def prepare(consolidation: Consolidation, kind: str, user_id: int | None) -> ConsolidationFile:
    """Prepare a file of the consolidation: the one under way or ready and current, or a
    new one queued once the transaction commits. Only flushes."""
    if consolidation.status != RunStatus.DONE.value:
        raise FileError(_("Only a finished consolidation can be exported."))
    kind = FileKind(kind).value
    existing = latest_files(consolidation).get(kind)
    if existing is not None and (existing.under_way or (
            existing.ready and is_current(existing, consolidation))):
        return existing
    row = ConsolidationFile(unit_id=consolidation.unit_id, consolidation_id=consolidation.id,
                            kind=kind, status=RunStatus.QUEUED.value, progress=0,
                            narrative_versions=narrative_versions(consolidation),
                            requested_by_id=user_id, created_at=clock.now())
    db.session.add(row)
    db.session.flush()
    row.job_id = f"consolidation-file-{row.id}-{secrets.token_hex(4)}"
    enqueue_after_commit("consolidation", build_file, row.id, row.unit_id, job_id=row.job_id)
    return row


@in_app_context
def build_file(file_id: int, root_id: int) -> str:
    """The job: build the file under the root's subtree scope and keep its bytes."""
    from portal.reports.consolidation_documents import consolidation_docx, consolidation_xlsx
    from portal.reports.pages import consolidation_page

    with use_scope(Scope(subtree_roots=frozenset({root_id}))):
        row = db.session.get(ConsolidationFile, file_id)
        if row is None or row.ready:
            db.session.rollback()
            return "nothing to do"
        row.status, row.progress = RunStatus.RUNNING.value, 10
        db.session.commit()
        try:
            row = db.session.get_one(ConsolidationFile, file_id)
            consolidation = db.session.get_one(Consolidation, row.consolidation_id)
            page = consolidation_page(consolidation)
            build = consolidation_docx if row.kind == FileKind.DOCX else consolidation_xlsx
            data, filename = build(page)
            row.data, row.filename, row.size = data, filename, len(data)
            row.narrative_versions = narrative_versions(consolidation)
            row.status, row.progress, row.finished_at = RunStatus.DONE.value, 100, clock.now()
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            failed = db.session.get_one(ConsolidationFile, file_id)
            failed.status, failed.progress = RunStatus.FAILED.value, 100
            failed.error, failed.finished_at = str(exc)[:500], clock.now()
            db.session.commit()
            raise
    return "done"
