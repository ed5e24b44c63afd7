"""Read-models of the signing pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from portal import clock
from portal.accounts.user import User
from portal.extensions import db
from portal.register import service as register
from portal.register.entry import RegisterEntry, SignedCopy
from portal.signing.image import SigningImage
from portal.signing.images import images_of
from portal.signing.record import (
    RECORD_KIND_LABELS,
    RECORD_STATUS_LABELS,
    DocumentRecord,
    RecordKind,
    RecordStatus,
)
from portal.signing.service import (
    DOCUMENT_TYPES,
    expected_signer_names,
    organisation_configured,
    records_of,
    signer_role,
)
from tenants.access import Reach
from tenants.membership import Membership, Role
from tenants.unit import Unit


@dataclass(frozen=True)
class Step:
    """One step of a document's life: when (shown in Vietnam time), who, what."""

    at: datetime
    who: str
    what: str
    note: str = ""


def _names(ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {uid: name or username for uid, name, username in db.session.execute(
        select(User.id, User.full_name, User.username).where(User.id.in_(wanted))).tuples()}


def document_history(record: DocumentRecord | None, entry: RegisterEntry | None = None, *,
                     register_steps: bool = True) -> list[Step]:
    """Each step of a document going out, oldest first: approved by the signer; issued by
    the clerk with the register's number; the PDF of record made; signed by the signer;
    the organisation's signature; a paper scan; and (``register_steps``) replaced,
    corrected, recalled. From the record and the register entry (``entry``, else the
    record's)."""
    if entry is None and record is not None:
        entry = register.entry_of(DOCUMENT_TYPES[record.kind], record.object_id)
    replaced_by = corrections = None
    if entry is not None and register_steps:
        replaced_by = register.related(entry)["replaced_by"]
        corrections = register.corrections_of(entry)
    users = _names({getattr(record, name, None) for name in (
        "approved_by_id", "numbered_by_id", "requested_by_id", "signed_by_id",
        "sealed_by_id")} | {getattr(entry, name, None) for name in (
            "created_by_id", "recalled_by_id", "scan_uploaded_by_id")}
        | {getattr(replaced_by, "created_by_id", None)}
        | {c.created_by_id for c in corrections or []})

    def who(user_id: int | None) -> str:
        return users.get(user_id, "—") if user_id else "—"

    steps: list[Step] = []
    if record is not None:
        if record.approved_at:
            steps.append(Step(record.approved_at, who(record.approved_by_id),
                              _("Approved by the signer")))
        if record.numbered_at:
            steps.append(Step(record.numbered_at, who(record.numbered_by_id),
                              _("Issued by the clerk with number %(number)s of %(day)s",
                                number=record.doc_number or "",
                                day=f"{record.issued_on:%d/%m/%Y}" if record.issued_on
                                else "")))
        if record.rendered_at:
            steps.append(Step(record.rendered_at, who(record.requested_by_id),
                              _("PDF of record made"), record.pdf_sha256 or ""))
        if record.signed_at:
            steps.append(Step(record.signed_at, who(record.signed_by_id),
                              _("Signed by the signer (verified)"), record.signer_subject))
        if record.sealed_at:
            steps.append(Step(record.sealed_at, who(record.sealed_by_id),
                              _("Organisation's signature applied (verified)"),
                              record.organisation_subject))
    if entry is not None:
        if entry.signed_copy == SignedCopy.PAPER.value and entry.scan_uploaded_at:
            steps.append(Step(entry.scan_uploaded_at, who(entry.scan_uploaded_by_id),
                              _("Paper copy: scan of the signed and stamped document"),
                              entry.scan_filename))
        if replaced_by is not None:
            steps.append(Step(replaced_by.created_at, who(replaced_by.created_by_id),
                              _("Replaced by %(number)s", number=replaced_by.notation)))
        for notice in corrections or []:
            steps.append(Step(notice.created_at, who(notice.created_by_id),
                              _("Correction notice %(number)s", number=notice.notation),
                              notice.subject))
        if register_steps and entry.recalled_at:
            steps.append(Step(entry.recalled_at, who(entry.recalled_by_id), _("Recalled"),
                              entry.recall_reason))
    return sorted(steps, key=lambda step: clock.local(step.at))


@dataclass(frozen=True)
class RecordPage:
    record: DocumentRecord
    unit: Unit
    kind_label: str
    status_label: str
    expected_signers: list[str]
    may_sign: bool
    may_issue: bool
    organisation_configured: bool
    waiting_signer: bool
    waiting_organisation: bool
    busy: bool
    waiting_number: bool
    history: list[Step]


def record_page(record: DocumentRecord, reach: Reach) -> RecordPage:
    unit = db.session.get_one(Unit, record.unit_id)
    roles = reach.roles_in(unit.id)
    waiting_signer = record.status == RecordStatus.RENDERED.value and not record.attachment
    waiting_organisation = record.status == (
        RecordStatus.RENDERED.value if record.attachment else RecordStatus.SIGNED.value)
    return RecordPage(
        record=record, unit=unit,
        kind_label=str(RECORD_KIND_LABELS[RecordKind(record.kind)]),
        status_label=str(RECORD_STATUS_LABELS[RecordStatus(record.status)]),
        expected_signers=expected_signer_names(record.kind, unit.id),
        may_sign=signer_role(record.kind) in roles, may_issue=Role.CLERK in roles,
        organisation_configured=organisation_configured(record),
        waiting_signer=waiting_signer, waiting_organisation=waiting_organisation,
        busy=record.status == RecordStatus.QUEUED.value,
        waiting_number=record.status == RecordStatus.APPROVED.value,
        history=document_history(record))


@dataclass(frozen=True)
class UnitSigningPage:
    unit: Unit
    records: list[tuple[DocumentRecord, str, str]]    # the record, its kind, its status
    images: list[tuple[SigningImage, str]]             # the image, whose
    people: list[tuple[int, str]]                       # who may get a signature image
    may_manage: bool


def unit_signing_page(unit: Unit, reach: Reach) -> UnitSigningPage:
    records = [(r, str(RECORD_KIND_LABELS[RecordKind(r.kind)]),
                str(RECORD_STATUS_LABELS[RecordStatus(r.status)])) for r in records_of(unit.id)]
    people = list(db.session.execute(
        select(User.id, User.full_name).join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit.id,
               Membership.role.in_([Role.HEAD.value, Role.LEADER.value]))
        .distinct().order_by(User.full_name)).tuples())
    names = dict(people)
    images = [(image, names.get(image.user_id, "") if image.user_id else unit.name)
              for image in images_of(unit.id)]
    return UnitSigningPage(unit=unit, records=records, images=images, people=people,
                           may_manage=reach.manages(unit.id))
