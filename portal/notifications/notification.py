"""One notice to one person about one unit: a reminder of a report coming due, or overdue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from tenants.scoping import TenantScoped


class Notification(TenantScoped, Model):
    __tablename__ = "notification"
    # Never twice: one notice per person, unit, period and reminder step.
    __table_args__ = (UniqueConstraint("user_id", "unit_id", "period_id", "step",
                                       name="uq_notification_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)  # about this unit
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id",
                                                      ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(10))      # "30", "7", "1" (days) or "overdue"
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")   # a path in the platform
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    email_error: Mapped[str] = mapped_column(Text, default="")
