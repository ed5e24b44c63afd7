"""Signature and seal images (Decree 30 Appendix I § II.7.d, II.8.a): a unit's seal, red,
and a person's signature, blue, each a PNG with a transparent background, uploaded by an
administrator of the unit. The person's image is given to their own signing software;
the seal is what the platform shows over the organisation's signature."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.extensions import Model
from tenants.scoping import DistributionKeyed, TenantScoped


class ImageKind(enum.StrEnum):
    SEAL = "seal"              # the unit's seal (red)
    SIGNATURE = "signature"    # a person's signature (blue)


class SigningImage(DistributionKeyed, TenantScoped, Model):
    __tablename__ = "signing_image"
    __table_args__ = (UniqueConstraint("unit_id", "kind", "user_id",
                                       name="uq_signing_image_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    # whose signature (None for the unit's seal)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id",
                                                           ondelete="CASCADE"))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
