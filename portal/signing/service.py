"""The signing workflow of a document of record (docs/signing.md).

1. ``request_record``: the PDF of record of an issued plan revision, a report handed to
   its head (or later) or a finished consolidated report is made in a background job
   (``render_record``) from its Word document, checked and kept with its SHA-256;
2. ``accept_signed``: the signer (the unit's head; the leader for a consolidated report)
   signs that PDF with their own token and software and uploads it; it is verified
   (``portal.signing.verify``) and kept, or refused with the check that failed;
3. ``sign_as_organisation`` (the clerk, "văn thư"): the platform applies the
   organisation's signature with the configured certificate; or ``accept_signed`` with
   ``organisation=True`` takes a PDF the clerk signed with the organisation's token.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from portal import clock
from portal.accounts.user import User
from portal.extensions import db
from portal.jobs import JobsUnavailable, enqueue, in_app_context, job_progress
from portal.plans.plan import PlanRevision, RevisionStatus, UnitPlan
from portal.problems import DomainError
from portal.register import service as register
from portal.reports.consolidation import Consolidation, RunStatus
from portal.reports.report import ReportStatus, UnitReport
from portal.signing import organisation as org
from portal.signing.image import ImageKind, SigningImage
from portal.signing.record import DocumentRecord, RecordKind, RecordStatus
from portal.signing.render import (
    Layout,
    RenderError,
    check,
    docx_to_pdf,
    signature_layout,
    with_signature_fields,
)
from portal.signing.verify import Expected, Verified, load_trust_roots, verify
from portal.storage import Storage, StorageError, evidence_storage
from portal.unit_of_work import unit_of_work
from tenants.membership import Membership, Role
from tenants.scoping import Scope, use_scope
from tenants.unit import Unit

log = logging.getLogger(__name__)

QUEUE = "exports"
SIGNED_PDF_MAX = 20 * 1024 * 1024
# The register's document type of each kind of record (portal.register).
DOCUMENT_TYPES = {RecordKind.PLAN.value: "plan_revision",
                  RecordKind.REPORT.value: "unit_report",
                  RecordKind.CONSOLIDATION.value: "consolidation"}
SIGNABLE_REPORTS = (ReportStatus.WITH_HEAD.value, ReportStatus.SUBMITTED.value,
                    ReportStatus.ACCEPTED.value)


class SigningError(DomainError):
    """A step of the signing workflow refused."""


def storage() -> Storage:
    return evidence_storage()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- what is signed ----------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A document that can become a PDF of record."""

    kind: RecordKind
    object_id: int
    unit_id: int
    title: str
    doc_number: str | None
    issued_on: object
    signer_name: str | None


def source_of_plan(plan: UnitPlan) -> Source:
    """The plan's issued revision (its number and date as issued)."""
    revision = next((r for r in plan.revisions if r.status == RevisionStatus.ISSUED.value),
                    None)
    if revision is None:
        raise SigningError([_("Only an issued plan has a PDF of record: issue it first.")])
    return Source(RecordKind.PLAN, revision.id, plan.unit_id, revision.title,
                  revision.doc_number, revision.issued_on, revision.signer_name)


def source_of_report(report: UnitReport) -> Source:
    if report.status not in SIGNABLE_REPORTS:
        raise SigningError([_("A report has a PDF of record once it is handed to the unit "
                              "head.")])
    from portal.frameworks.period import ReportingPeriod
    from portal.reports.report_document import unit_head

    unit = db.session.get_one(Unit, report.unit_id)
    year = db.session.get_one(ReportingPeriod, report.period_id).year
    entry = register.entry_of(DOCUMENT_TYPES[RecordKind.REPORT.value], report.id)
    return Source(RecordKind.REPORT, report.id, report.unit_id,
                  _("Report %(year)s", year=year), entry.notation if entry else None,
                  entry.issued_on if entry else None, unit_head(unit))


def source_of_consolidation(row: Consolidation) -> Source:
    if row.status != RunStatus.DONE.value:
        raise SigningError([_("Only a finished consolidation has a PDF of record.")])
    from portal.reports.consolidation_documents import sender_of

    unit = db.session.get_one(Unit, row.unit_id)
    entry = register.entry_of(DOCUMENT_TYPES[RecordKind.CONSOLIDATION.value], row.id)
    return Source(RecordKind.CONSOLIDATION, row.id, row.unit_id,
                  _("Consolidated report %(year)s", year=row.year),
                  entry.notation if entry else None, entry.issued_on if entry else None,
                  sender_of(unit).signer_name or (expected_signer_names(
                      RecordKind.CONSOLIDATION, row.unit_id) or (None,))[0])


def _docx(record: DocumentRecord) -> bytes:
    if record.kind == RecordKind.PLAN.value:
        from portal.plans.export import plan_document

        revision = db.session.get_one(PlanRevision, record.object_id)
        return plan_document(revision.plan, revision)[0]
    if record.kind == RecordKind.REPORT.value:
        from portal.reports.report_document import report_docx

        return report_docx(db.session.get_one(UnitReport, record.object_id))[0]
    from portal.reports.consolidation_documents import consolidation_docx
    from portal.reports.pages import consolidation_page

    return consolidation_docx(consolidation_page(
        db.session.get_one(Consolidation, record.object_id)))[0]


def record_of(kind: RecordKind, object_id: int) -> DocumentRecord | None:
    return db.session.scalar(select(DocumentRecord).where(
        DocumentRecord.kind == kind.value, DocumentRecord.object_id == object_id))


# ---- who signs ---------------------------------------------------------------------------


def signer_role(kind: str) -> Role:
    """The unit head signs its plans and reports; the leader its consolidated reports."""
    return Role.LEADER if kind == RecordKind.CONSOLIDATION.value else Role.HEAD


def expected_signer_names(kind: RecordKind | str, unit_id: int) -> list[str]:
    """The full names of the unit's active accounts holding the signer's role."""
    return list(db.session.scalars(
        select(User.full_name).join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit_id, Membership.role == signer_role(kind).value,
               User.active.is_(True), User.full_name != "")
        .order_by(Membership.id)))


def expected_organisation(unit: Unit) -> Expected:
    return Expected(names=(unit.name,), organisation=True)


# ---- 1. the PDF of record ----------------------------------------------------------------


def request_record(source: Source, user_id: int | None, *, attachment: bool = False) -> int:
    """Make (or make again, while nobody has signed it) the PDF of record of ``source`` in
    a background job. Owns its transactions. Returns the record's id."""
    with unit_of_work():
        record = record_of(source.kind, source.object_id)
        if record is not None and record.status in (RecordStatus.SIGNED.value,
                                                     RecordStatus.ISSUED.value):
            raise SigningError([_("This document is already signed: its PDF of record "
                                  "cannot be made again.")])
        if record is not None and record.status == RecordStatus.APPROVED.value:
            raise SigningError([_("This document is approved and waits for the clerk, who "
                                  "issues it with its number; its PDF of record is made "
                                  "then.")])
        if record is None:
            record = DocumentRecord(kind=source.kind.value, object_id=source.object_id,
                                    unit_id=source.unit_id)
            db.session.add(record)
        record.title = source.title[:1000]
        record.doc_number, record.issued_on = source.doc_number, source.issued_on  # type: ignore[assignment]  # a date or None
        queue_render(record, user_id, attachment=attachment)
        record_id, job_id, unit_id = record.id, record.job_id, record.unit_id
    start_render(record_id, job_id, unit_id)
    return record_id


def queue_render(record: DocumentRecord, user_id: int | None, *, attachment: bool) -> None:
    """The record waits for its PDF (made by ``start_render``'s job once committed)."""
    record.attachment = attachment
    record.status, record.progress, record.error = RecordStatus.QUEUED.value, 0, ""
    record.pdf_key = record.pdf_sha256 = None
    record.requested_by_id = user_id
    record.job_id = f"pdf-{secrets.token_hex(8)}"
    db.session.flush()


def start_render(record_id: int, job_id: str, unit_id: int) -> None:
    """Queue the job of a committed, queued record; a queue out of reach fails it."""
    try:
        enqueue(QUEUE, render_record, record_id, unit_id, job_id=job_id, timeout="10m")
    except JobsUnavailable as exc:
        with unit_of_work():
            db.session.execute(update(DocumentRecord).where(DocumentRecord.id == record_id)
                               .values(status=RecordStatus.FAILED.value, error=_(
                                   "The job queue is not reachable; try again later.")))
        raise SigningError([_("The PDF cannot be made now: the job queue is not "
                              "reachable. Try again later.")]) from exc


def _mark(record_id: int, **values: object) -> None:
    db.session.execute(update(DocumentRecord).where(
        DocumentRecord.id == record_id,
        DocumentRecord.status == RecordStatus.QUEUED.value).values(**values))
    db.session.commit()
    if "progress" in values:
        job_progress(int(values["progress"]), "pdf")  # type: ignore[call-overload]  # an int given as object


def render_pdf(docx: bytes, signer_name: str | None, attachment: bool) -> tuple[bytes, Layout,
                                                                                  int]:
    """The PDF of record of a Word document: converted, checked, its signature fields
    placed. Returns (the PDF, where the signatures go, its pages)."""
    pdf = docx_to_pdf(docx)
    found = check(pdf)
    layout = signature_layout(pdf, signer_name, attachment)
    return with_signature_fields(pdf, layout, attachment), layout, found.pages


@in_app_context
def render_record(record_id: int, unit_id: int) -> str:
    """The job: Word → PDF (LibreOffice), checked, kept with its hash. Idempotent: only a
    queued record is written."""
    with use_scope(Scope(units=frozenset({unit_id}))):
        record = db.session.get(DocumentRecord, record_id)
        if record is None or record.status != RecordStatus.QUEUED.value:
            db.session.rollback()
            return "nothing to do"
        _mark(record_id, progress=10)
        record = db.session.get_one(DocumentRecord, record_id)
        try:
            source_name = _signer_name_of(record)
            pdf, layout, pages = render_pdf(_docx(record), source_name, record.attachment)
            key = storage().save(pdf)
        except (RenderError, StorageError) as exc:
            db.session.rollback()
            message = "; ".join(exc.messages) if isinstance(exc, RenderError) else _(
                "The PDF could not be kept: the file store refused it.")
            _mark(record_id, status=RecordStatus.FAILED.value, progress=100,
                  error=message[:1000])
            return "failed"
        except Exception:
            db.session.rollback()
            log.exception("PDF of record %s failed", record_id)
            _mark(record_id, status=RecordStatus.FAILED.value, progress=100,
                  error=_("The PDF could not be made because of an error on the server."))
            if _in_worker():
                raise
            return "failed"
        written = db.session.execute(update(DocumentRecord).where(
            DocumentRecord.id == record_id,
            DocumentRecord.status == RecordStatus.QUEUED.value).values(
            status=RecordStatus.RENDERED.value, progress=100, pdf_key=key,
            pdf_sha256=_sha(pdf), pdf_size=len(pdf), pages=pages,
            layout={"page": layout.page, "signer": list(layout.signer),
                    "organisation": list(layout.organisation)},
            rendered_at=clock.now())).rowcount  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
        db.session.commit()
        job_progress(100, "done")
        return "done" if written else "nothing to do"


def _signer_name_of(record: DocumentRecord) -> str | None:
    if record.kind == RecordKind.PLAN.value:
        return db.session.get_one(PlanRevision, record.object_id).signer_name
    if record.kind == RecordKind.REPORT.value:
        return source_of_report(db.session.get_one(UnitReport, record.object_id)).signer_name
    return source_of_consolidation(
        db.session.get_one(Consolidation, record.object_id)).signer_name


def _in_worker() -> bool:
    from rq import get_current_job

    return get_current_job() is not None


def read_file(key: str) -> bytes:
    with storage().open(key) as handle:
        return handle.read()


# ---- 2. signed PDFs that come in ---------------------------------------------------------


def trust_roots() -> list:
    return load_trust_roots(current_app.config.get("TRUST_ROOTS_DIR"))


def verify_upload(record: DocumentRecord, data: bytes, *, organisation: bool) -> Verified:
    """Verify a signed PDF for the record's next step (raises ``VerificationError``)."""
    unit = db.session.get_one(Unit, record.unit_id)
    if organisation:
        base_key, base_sha, base_size = record.signed_key, record.signed_sha256, \
            record.signed_size
        base_signatures = 1
        if record.attachment:   # an attachment: the organisation signs the PDF of record
            base_key, base_sha, base_size = record.pdf_key, record.pdf_sha256, \
                record.pdf_size
            base_signatures = 0
        expected = expected_organisation(unit)
    else:
        base_key, base_sha, base_size = record.pdf_key, record.pdf_sha256, record.pdf_size
        base_signatures = 0
        expected = Expected(names=tuple(expected_signer_names(record.kind, record.unit_id)))
    if not base_key or not base_sha:
        raise SigningError([_("The PDF of record is not made yet.")])
    return verify(data, base_sha256=base_sha, base_size=base_size,
                  base_signatures=base_signatures, expected=expected,
                  trust_roots=trust_roots(), not_before=record.rendered_at or clock.now())


def accept_signed(record: DocumentRecord, data: bytes, user_id: int | None, *,
                  organisation: bool = False) -> Verified:
    """Take the signer's (or, ``organisation``, the clerk's) signed PDF: verified, kept;
    the record moves on. A refusal raises and records nothing."""
    _require_step(record, organisation)
    if len(data) > SIGNED_PDF_MAX:
        raise SigningError([_("The signed PDF is larger than 20 MB.")])
    if not data.startswith(b"%PDF-"):
        raise SigningError({"file": _("The file is not a PDF.")})
    verified = verify_upload(record, data, organisation=organisation)
    _keep(record, data, verified, user_id, organisation)
    return verified


def _require_step(record: DocumentRecord, organisation: bool) -> None:
    if organisation:
        ready = RecordStatus.RENDERED.value if record.attachment else RecordStatus.SIGNED.value
        if record.status != ready:
            raise SigningError([_("The organisation signs after the signer has signed.")
                                if record.status == RecordStatus.RENDERED.value
                                else _("This document is not waiting for the organisation's "
                                       "signature.")])
    elif record.attachment or record.status != RecordStatus.RENDERED.value:
        raise SigningError([_("This document is not waiting for the signer's signature.")])


def _keep(record: DocumentRecord, data: bytes, verified: Verified, user_id: int | None,
          organisation: bool) -> None:
    try:
        key = storage().save(data)
    except StorageError as exc:
        raise SigningError([_("The signed PDF could not be kept: the file store refused "
                              "it.")]) from exc
    if organisation:
        record.issued_key, record.issued_sha256 = key, verified.sha256
        record.organisation_subject = verified.subject[:1000]
        record.sealed_at, record.sealed_by_id = verified.signed_at, user_id
        record.status = RecordStatus.ISSUED.value
        entry = register.entry_of(DOCUMENT_TYPES[record.kind], record.object_id)
        if entry is not None:   # the register shows it digitally signed, with its pages
            try:
                register.mark_digitally_signed(entry, page_amount=record.pages or None)
            except register.RegisterError as exc:
                raise SigningError(exc.problems) from exc
    else:
        record.signed_key, record.signed_sha256 = key, verified.sha256
        record.signed_size = len(data)
        record.signer_subject = verified.subject[:1000]
        record.signed_at, record.signed_by_id = verified.signed_at, user_id
        record.status = RecordStatus.SIGNED.value
    db.session.flush()


def organisation_configured(record: DocumentRecord) -> bool:
    unit = db.session.get_one(Unit, record.unit_id)
    return org.configured(unit.code) is not None


def sign_as_organisation(record: DocumentRecord, user_id: int | None) -> Verified:
    """The clerk's step with the organisation certificate the province configured: the
    organisation's signature (its seal image, or the attachment's stamp text) applied
    here, then verified like any signed PDF that comes in."""
    _require_step(record, organisation=True)
    unit = db.session.get_one(Unit, record.unit_id)
    key = org.configured(unit.code)
    if key is None:
        raise SigningError([_("No organisation certificate is configured for %(unit)s: "
                              "sign with the organisation's token and upload the file.",
                              unit=unit.name)])
    base = read_file(record.pdf_key if record.attachment else record.signed_key)  # type: ignore[arg-type]  # set at this step
    seal = db.session.scalar(select(SigningImage.data).where(
        SigningImage.unit_id == unit.id, SigningImage.kind == ImageKind.SEAL.value,
        SigningImage.user_id.is_(None)))
    signed = org.apply(base, key, seal_png=seal, attachment=record.attachment,
                       doc_number=record.doc_number, reason=_("Issued"),
                       location=unit.name)
    verified = verify_upload(record, signed, organisation=True)
    _keep(record, signed, verified, user_id, organisation=True)
    return verified


def records_of(unit_id: int) -> list[DocumentRecord]:
    return list(db.session.scalars(select(DocumentRecord).where(
        DocumentRecord.unit_id == unit_id).order_by(DocumentRecord.id.desc())))


def signed_file(record: DocumentRecord) -> tuple[bytes, str]:
    if record.final_key is None:
        raise SigningError([_("This document is not signed yet.")])
    return read_file(record.final_key), f"{_file_stem(record)}-ky-so.pdf"


def record_file(record: DocumentRecord) -> tuple[bytes, str]:
    if record.pdf_key is None:
        raise SigningError([_("The PDF of record is not made yet.")])
    return read_file(record.pdf_key), f"{_file_stem(record)}.pdf"


def _file_stem(record: DocumentRecord) -> str:
    number = (record.doc_number or str(record.object_id)).replace("/", "-")
    return "".join(c if c.isascii() and (c.isalnum() or c in "-.") else "-"
                   for c in f"{record.kind}-{number}")

