"""The office flow of a document going out (Decree 30/2020/NĐ-CP Art. 13 and 15): the
signer (the unit's head; the leader for a consolidated report) **approves**; the clerk
("văn thư") **issues**: the register gives the next number and the date at that moment,
the PDF of record is made with them printed in it, the signer signs that PDF, and the
clerk applies the organisation's signature (``portal.signing.service``).

The number is taken at the clerk's step *before* the PDF of record is made, so the
number and the date are in the very bytes both signatures cover: ``verify``'s prefix
check then proves the signed document carries the number of the register
(docs/signing.md § Why the number comes before the PDF).

A unit without an active clerk on the platform has no one to issue: its head's approval
of a plan issues it at once, the number taken then (as before the clerk's role existed).
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from portal import clock
from portal.accounts.user import User
from portal.extensions import db
from portal.plans import service as plans
from portal.plans.plan import PlanRevision, RevisionStatus, UnitPlan
from portal.register import service as register
from portal.register.entry import RegisterEntry
from portal.reports.consolidation import Consolidation
from portal.reports.report import UnitReport
from portal.signing.record import DocumentRecord, RecordKind, RecordStatus
from portal.signing.service import (
    DOCUMENT_TYPES,
    SigningError,
    Source,
    queue_render,
    record_of,
    source_of_consolidation,
    source_of_report,
    start_render,
)
from portal.unit_of_work import unit_of_work
from tenants.membership import Membership, Role
from tenants.unit import Unit


def has_clerk(unit_id: int) -> bool:
    """The unit has an active account holding the clerk's role."""
    return db.session.scalar(select(Membership.id).join(User, User.id == Membership.user_id)
                             .where(Membership.unit_id == unit_id,
                                    Membership.role == Role.CLERK.value,
                                    User.active.is_(True)).limit(1)) is not None


def source_of_revision(revision: PlanRevision) -> Source:
    return Source(RecordKind.PLAN, revision.id, revision.unit_id, revision.title,
                  revision.doc_number, revision.issued_on, revision.signer_name)


# ---- 1. the signer approves --------------------------------------------------------------


def approve(source: Source, user_id: int | None) -> DocumentRecord:
    """The signer approves the document for issue: its record waits for the clerk's
    number. Flushes only."""
    record = record_of(source.kind, source.object_id)
    if record is not None and (record.numbered_at is not None or record.status in (
            RecordStatus.SIGNED.value, RecordStatus.ISSUED.value)):
        raise SigningError([_("This document is already issued with a number: it cannot "
                              "be approved again.")])
    if record is None:
        record = DocumentRecord(kind=source.kind.value, object_id=source.object_id,
                                unit_id=source.unit_id)
        db.session.add(record)
    record.title = source.title[:1000]
    record.doc_number, record.issued_on = None, None
    record.status, record.progress, record.error = RecordStatus.APPROVED.value, 0, ""
    record.pdf_key = record.pdf_sha256 = None
    record.approved_at, record.approved_by_id = clock.now(), user_id
    db.session.flush()
    return record


def approve_plan(plan: UnitPlan, user_id: int | None,
                 values: dict[str, str]) -> PlanRevision:
    """The head approves the submitted revision (how it is signed, by whom, for whom). In
    a unit with a clerk it waits for the clerk to issue it; in one without, it is issued
    now (the register's number taken). Flushes only."""
    if not has_clerk(plan.unit_id):
        return plans.issue(plan, user_id, values)
    revision = plans.approve(plan, user_id, values)
    approve(source_of_revision(revision), user_id)
    return revision


def approve_report(report: UnitReport, user_id: int | None) -> DocumentRecord:
    return approve(source_of_report(report), user_id)


def approve_consolidation(row: Consolidation, user_id: int | None) -> DocumentRecord:
    return approve(source_of_consolidation(row), user_id)


# ---- 2. the clerk issues: the number and date, then the PDF of record --------------------


def issue_number(record: DocumentRecord, user_id: int | None) -> str:
    """The clerk issues the approved document: the register's next number and today's
    date (Vietnam), written into the document, and its PDF of record made in a background
    job with them printed. Owns its transactions: the number is committed with the
    record before the job is queued (a job that cannot be queued leaves the record
    failed, to be made again; the number stays the document's)."""
    record_id = record.id
    with unit_of_work():
        record = db.session.get_one(DocumentRecord, record_id)
        if record.status != RecordStatus.APPROVED.value:
            raise SigningError([_("Only a document approved by its signer is issued by the "
                                  "clerk.")])
        entry = _assign(record, user_id)
        record.doc_number, record.issued_on = entry.notation, entry.issued_on
        record.numbered_at, record.numbered_by_id = clock.now(), user_id
        queue_render(record, user_id, attachment=record.attachment)
        job = (record.id, record.job_id, record.unit_id)
        notation = entry.notation
    start_render(*job)
    return notation


def _assign(record: DocumentRecord, user_id: int | None) -> RegisterEntry:
    unit = db.session.get_one(Unit, record.unit_id)
    if record.kind == RecordKind.PLAN.value:
        revision = db.session.get_one(PlanRevision, record.object_id)
        if revision.status != RevisionStatus.APPROVED.value or \
                plans.latest(revision.plan).id != revision.id:
            raise SigningError([_("The plan's revision is no longer the one approved.")])
        plans.issue(revision.plan, user_id)
        entry = register.entry_of(plans.PLAN_DOCUMENT, revision.id)
        assert entry is not None  # noqa: S101 - issue() has just taken it
        return entry
    if record.kind == RecordKind.REPORT.value:
        from portal.reports.report_document import report_document

        report = db.session.get_one(UnitReport, record.object_id)
        source = source_of_report(report)      # still in a state to be issued
        subject = f"Báo cáo {report_document(report).subject[:1].lower()}" \
                  f"{report_document(report).subject[1:]}"
    else:
        row = db.session.get_one(Consolidation, record.object_id)
        source = source_of_consolidation(row)
        subject = f"Báo cáo tổng hợp kết quả thực hiện năm {row.year}"
    try:
        return register.assign_number(unit, "BC", register.Issue(
            subject=subject, document_type=DOCUMENT_TYPES[record.kind],
            document_id=record.object_id, signer_name=source.signer_name or ""),
            user_id=user_id)
    except register.RegisterError as exc:
        raise SigningError(exc.problems) from exc
