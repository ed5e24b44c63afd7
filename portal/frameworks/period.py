"""Reporting periods of a framework: one a year, with three separate dates."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from tenants.scoping import SharedDownTree


class ReportingPeriod(SharedDownTree, Model):
    __tablename__ = "reporting_period"
    __table_args__ = (
        UniqueConstraint("framework_id", "year", name="uq_reporting_period_year"),
        CheckConstraint("cutoff_date <= due_date", name="cutoff_before_due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"),
                                              index=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)        # reports due (30/11 by default)
    cutoff_date: Mapped[date] = mapped_column(Date)     # the data cover up to this day
    lock_date: Mapped[date | None] = mapped_column(Date)  # entry stops after this day

    def opens_on(self) -> date:
        """The first day a unit can start its report for this year: 1 January of the year.
        A report tells of a year's work, so none is started before the year begins."""
        return date(self.year, 1, 1)

    def has_begun(self, today: date) -> bool:
        return today >= self.opens_on()
