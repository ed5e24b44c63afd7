"""A validation run over a subtree and period, kept with who ran it, when and what it found;
and the notices already sent for a violation, so that each is told once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from tenants.scoping import DistributionKeyed, TenantScoped


class ValidationRun(TenantScoped, Model):
    __tablename__ = "validation_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)   # the root
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id", ondelete="CASCADE"))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reports_checked: Mapped[int] = mapped_column(Integer, default=0)
    # One dict per violation: unit, report, value, rule, both sides, whether it was notified
    # by this run (docs/validation.md § Runs).
    findings: Mapped[list] = mapped_column(JSON, default=list)
    notified: Mapped[int] = mapped_column(Integer, default=0)
    # queued → running → done | failed: a run is a background job (a nation takes seconds)
    status: Mapped[str] = mapped_column(String(10), default="done")
    error: Mapped[str] = mapped_column(Text, default="")

    @property
    def pending(self) -> bool:
        return self.status in ("queued", "running")


class ValidationNotice(DistributionKeyed, TenantScoped, Model):
    """A violation (rule × unit × period) already told to the unit; removed when a later run
    finds it fixed, so that breaking the rule again is told again."""

    __tablename__ = "validation_notice"
    __table_args__ = (UniqueConstraint("unit_id", "rule_id", "period_id",
                                       name="uq_validation_notice"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)  # the violating unit
    rule_id: Mapped[int] = mapped_column(ForeignKey("validation_rule.id", ondelete="CASCADE"))
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(ForeignKey("validation_run.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
