"""Reporting obligations: who reports to whom under a framework, and by which date.

An obligation says that the units of some kinds below the framework's owner report to a
receiving unit (DOST for a province's communes and departments; the ministry for the
provinces), for the framework's reporting periods, each period with its due date. Plan
108's obligation — every kind its indicators are reported by, to DOST, by the period's
own due date (30/11) — is the default; a national one (provinces to the ministry, by
15/12) has its own due dates. Reporting rate and timeliness are computed per obligation
(``portal.reports.obligations``).

Both tables are read by every unit below the owner, like the framework itself.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.extensions import Model
from tenants.scoping import SharedDownTree


class ReportObligation(SharedDownTree, Model):
    __tablename__ = "report_obligation"

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"),
                                              index=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # The kinds of unit below the owner that report, comma-separated; empty: the kinds
    # the framework's indicators are reported by (the default obligation).
    reporter_kinds: Mapped[str] = mapped_column(String(200), default="")
    # The unit that receives, reviews and consolidates the reports (DOST, the ministry).
    receiver_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 default=clock.now, server_default=func.now())

    dues: Mapped[list[ObligationDue]] = relationship(
        back_populates="obligation", cascade="all, delete-orphan",
        order_by="ObligationDue.period_id")

    @property
    def kind_list(self) -> list[str]:
        return [k for k in self.reporter_kinds.split(",") if k]


class ObligationDue(SharedDownTree, Model):
    """The due date of an obligation for one reporting period; without one, the period's
    own due date applies."""

    __tablename__ = "report_obligation_due"
    __table_args__ = (UniqueConstraint("obligation_id", "period_id",
                                       name="uq_report_obligation_due_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(
        ForeignKey("report_obligation.id", ondelete="CASCADE"), index=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    period_id: Mapped[int] = mapped_column(
        ForeignKey("reporting_period.id", ondelete="CASCADE"), index=True)
    due_date: Mapped[date] = mapped_column(Date)

    obligation: Mapped[ReportObligation] = relationship(back_populates="dues")
