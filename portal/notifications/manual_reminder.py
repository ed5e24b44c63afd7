"""A reminder sent by hand from a reviewer's unit to units below it, and the units it
went to (issue 16; sent by ``portal.notifications.reminding``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model
from tenants.scoping import DistributionKeyed, TenantScoped


class ManualReminder(TenantScoped, Model):
    """One reminder sent by hand: from a reviewer's unit, for a period, to some units."""

    __tablename__ = "manual_reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)  # sent from
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id",
                                                      ondelete="CASCADE"), index=True)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id",
                                                              ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    message: Mapped[str] = mapped_column(Text, default="")
    # The form's own key: the same form posted twice is one reminder.
    idempotency_key: Mapped[str] = mapped_column(String(40), unique=True)

    units: Mapped[list[ManualReminderUnit]] = relationship(
        back_populates="reminder", cascade="all, delete-orphan",
        order_by="ManualReminderUnit.id")


class ManualReminderUnit(DistributionKeyed, TenantScoped, Model):
    """A unit a reminder went to. Carries the period and time itself, so the reminded
    unit's level and the levels between see when it was reminded, even when the reminder
    came from above their reach."""

    __tablename__ = "manual_reminder_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("manual_reminder.id",
                                                        ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id",
                                                      ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    reminder: Mapped[ManualReminder] = relationship(back_populates="units")


