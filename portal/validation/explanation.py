"""A unit's explanation ("giải trình") of a rule its report breaks and it stands by."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from tenants.scoping import DistributionKeyed, TenantScoped


class ViolationExplanation(DistributionKeyed, TenantScoped, Model):
    __tablename__ = "violation_explanation"
    __table_args__ = (UniqueConstraint("report_id", "rule_id", name="uq_violation_explanation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("unit_report.id", ondelete="CASCADE"),
                                           index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("validation_rule.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
