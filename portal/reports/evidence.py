"""Evidence files (minh chứng) of a report: checked by content, stored outside the database."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import DateTime, ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal import clock
from portal.archives import ArchiveError, check_parts
from portal.extensions import Model, db
from portal.problems import DomainError
from portal.storage import StorageError, evidence_storage
from portal.uploads import ALLOWED, safe_filename, sniff
from tenants.scoping import DistributionKeyed, TenantScoped

if TYPE_CHECKING:
    from portal.reports.report import UnitReport


class EvidenceError(DomainError):
    """An evidence file refused."""


class ReportEvidence(DistributionKeyed, TenantScoped, Model):
    __tablename__ = "report_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("unit_report.id", ondelete="CASCADE"),
                                           index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicator.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def add_evidence(report: UnitReport, filename: str, data: bytes, user_id: int | None,
                 indicator_id: int | None = None) -> ReportEvidence:
    """Check and store a file; the record is written only once the file is safely stored."""
    from portal.reports.service import ReportError, _require_editable

    try:
        _require_editable(report)
    except ReportError as exc:
        raise EvidenceError(next(iter(exc.problems.values()))) from exc
    limit = current_app.config.get("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
    if not data:
        raise EvidenceError(_("The file is empty."))
    if len(data) > limit:
        raise EvidenceError(_("The file is %(size)s MB; at most %(limit)s MB are allowed.",
                              size=round(len(data) / 1048576, 1),
                              limit=round(limit / 1048576, 1)))
    name = safe_filename(filename)
    if data.startswith(b"PK\x03\x04"):   # stored, not parsed: only its list of parts is read
        try:
            check_parts(data)
        except ArchiveError as exc:
            raise EvidenceError(exc.messages[0]) from exc
    found = sniff(data)
    if found is None:
        raise EvidenceError(_("Only PDF, images (PNG, JPEG, GIF) and Office documents are "
                              "accepted as evidence; this file's content is none of them."))
    kind, implied = found
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if extension not in ALLOWED[kind]:
        raise EvidenceError(_("The file is named %(name)s but its content is %(kind)s; "
                              "rename it or upload the right file.", name=name,
                              kind=implied.lstrip(".").upper()))
    try:
        key = evidence_storage().save(data)
    except StorageError as exc:
        current_app.logger.error("evidence storage failed: %s", exc)
        raise EvidenceError(_("The file could not be stored (the server's storage is full "
                              "or not writable); nothing was saved. Tell your "
                              "administrator.")) from exc
    evidence = ReportEvidence(report_id=report.id, unit_id=report.unit_id,
                              indicator_id=indicator_id, filename=name, content_type=kind,
                              size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                              storage_key=key, uploaded_by_id=user_id, uploaded_at=clock.now())
    db.session.add(evidence)
    try:
        db.session.flush()
    except Exception:
        evidence_storage().delete(key)  # no file without its record
        raise
    return evidence


def remove_evidence(report: UnitReport, evidence: ReportEvidence) -> None:
    from portal.reports.service import ReportError, _require_editable

    try:
        _require_editable(report)
    except ReportError as exc:
        raise EvidenceError(next(iter(exc.problems.values()))) from exc
    key = evidence.storage_key
    db.session.delete(evidence)
    db.session.flush()
    # issue 15 item 6: the file goes only once the deletion is committed (_after_commit);
    # a commit that fails or a rollback keeps it, with its row
    db.session.info.setdefault(_DELETE_AFTER_COMMIT, []).append((evidence_storage(), key))


_DELETE_AFTER_COMMIT = "evidence files to delete once the deletion is committed"


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for storage, key in session.info.pop(_DELETE_AFTER_COMMIT, []):
        try:
            storage.delete(key)
        except StorageError as exc:   # the row is gone: a file left behind is only litter
            current_app.logger.warning("evidence file %s left behind: %s", key, exc)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_DELETE_AFTER_COMMIT, None)
