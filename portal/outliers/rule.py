"""Outlier rules for yearly values: bounds and a year-over-year factor per indicator and
unit kind, which the framework's owner sets by hand or generates (docs/outliers.md).

A rule belongs to a framework and names its indicator by code, so it carries over to the
framework's next version. ``unit_kind`` "" is the rule for every kind; a rule for one
kind takes its place for that kind. Ratios are kept as fractions (1 = 100 %).
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.extensions import Model
from tenants.scoping import SharedDownTree


class BoundsMethod(enum.StrEnum):
    MANUAL = "manual"          # the owner typed the bounds
    GENERATED = "generated"    # median ± k × scaled MAD over the units of the kind


# The defaults of a generated rule (docs/outliers.md § Bounds).
DEFAULT_K = Decimal(3)
DEFAULT_MIN_UNITS = 5


class OutlierRule(SharedDownTree, Model):
    __tablename__ = "outlier_rule"
    __table_args__ = (UniqueConstraint("framework_id", "indicator_code", "unit_kind",
                                       name="uq_outlier_rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"),
                                              index=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    indicator_code: Mapped[str] = mapped_column(String(40))
    unit_kind: Mapped[str] = mapped_column(String(12), default="")
    method: Mapped[str] = mapped_column(String(10), default=BoundsMethod.MANUAL.value)
    low: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    high: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    k: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=DEFAULT_K)
    min_units: Mapped[int] = mapped_column(Integer, default=DEFAULT_MIN_UNITS)
    # What generated bounds were computed from: the year, how many units, median, MAD.
    basis_year: Mapped[int | None] = mapped_column(Integer)
    basis_units: Mapped[int | None] = mapped_column(Integer)
    basis_median: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    basis_mad: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    # A value above factor × last year's or below last year's ÷ factor is flagged.
    yoy_factor: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
