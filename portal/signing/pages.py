"""Read-models of the signing pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal.accounts.user import User
from portal.extensions import db
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
    expected_signer_names,
    organisation_configured,
    records_of,
    signer_role,
)
from tenants.access import Reach
from tenants.membership import Membership, Role
from tenants.unit import Unit


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
        busy=record.status == RecordStatus.QUEUED.value)


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
