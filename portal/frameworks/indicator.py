"""Indicators (chỉ tiêu) of a framework version, with their targets.

Kind, unit, time behaviour and aggregation rule are data, so the next plan can
have other indicators (PRODUCT.md § What the numbers mean).
"""

from __future__ import annotations

import enum
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model
from tenants.scoping import SharedDownTree


class IndicatorKind(enum.StrEnum):
    COUNT = "count"          # a whole number
    RATIO = "ratio"          # numerator / denominator
    YES_NO = "yes_no"        # per unit
    AMOUNT = "amount"        # VND
    TEXT = "text"            # compiled, never summed


INDICATOR_KIND_LABELS = {IndicatorKind.COUNT: _l("Count"),
                         IndicatorKind.RATIO: _l("Ratio (numerator / denominator)"),
                         IndicatorKind.YES_NO: _l("Yes / no per unit"),
                         IndicatorKind.AMOUNT: _l("Amount (VND)"),
                         IndicatorKind.TEXT: _l("Text")}


class TimeBehaviour(enum.StrEnum):
    PER_YEAR = "per_year"        # a flow in each year (classes held this year)
    CUMULATIVE = "cumulative"    # adds up over the plan period towards a 2030 target
    STOCK = "stock"              # the latest value counts (civil servants concerned)


TIME_BEHAVIOUR_LABELS = {TimeBehaviour.PER_YEAR: _l("Per year"),
                         TimeBehaviour.CUMULATIVE: _l("Cumulative over the plan"),
                         TimeBehaviour.STOCK: _l("Stock: the latest value counts")}


class Aggregation(enum.StrEnum):
    SUM = "sum"
    RATIO_OF_SUMS = "ratio_of_sums"          # sum numerators, sum denominators, divide
    SHARE_OF_EXPECTED = "share_of_expected"  # units saying yes / units expected
    NONE = "none"                            # text: compiled, not computed


AGGREGATION_LABELS = {
    Aggregation.SUM: _l("Sum"),
    Aggregation.RATIO_OF_SUMS: _l("Sum of numerators ÷ sum of denominators"),
    Aggregation.SHARE_OF_EXPECTED: _l("Share of the units expected to report that say yes"),
    Aggregation.NONE: _l("Compiled as text, not computed")}


# Which aggregation each kind allows.
ALLOWED_AGGREGATIONS: dict[str, set[str]] = {
    IndicatorKind.COUNT: {Aggregation.SUM},
    IndicatorKind.AMOUNT: {Aggregation.SUM},
    IndicatorKind.RATIO: {Aggregation.RATIO_OF_SUMS},
    IndicatorKind.YES_NO: {Aggregation.SHARE_OF_EXPECTED},
    IndicatorKind.TEXT: {Aggregation.NONE},
}


class Indicator(SharedDownTree, Model):
    __tablename__ = "indicator"
    __table_args__ = (UniqueConstraint("version_id", "code", name="uq_indicator_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("framework_version.id", ondelete="CASCADE"), index=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    node_id: Mapped[int | None] = mapped_column(
        ForeignKey("framework_node.id", ondelete="SET NULL"))
    code: Mapped[str] = mapped_column(String(40))             # the node's path: "II.1.d"
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(12), default=IndicatorKind.TEXT.value)
    unit_of_measure: Mapped[str] = mapped_column(String(60), default="")
    time_behaviour: Mapped[str] = mapped_column(String(12),
                                                default=TimeBehaviour.PER_YEAR.value)
    aggregation: Mapped[str] = mapped_column(String(20), default=Aggregation.NONE.value)
    numerator_label: Mapped[str] = mapped_column(String(200), default="")
    denominator_label: Mapped[str] = mapped_column(String(200), default="")
    # Ratios and shares are kept as fractions (1 = 100 %).
    target_final: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    target_year: Mapped[int | None] = mapped_column(Integer)   # the plan's horizon, 2030
    # The largest figure a unit can plausibly report (count, amount, a ratio's part and
    # total); a larger one is refused at entry (portal.numbers.check_maximum). None: no cap.
    maximum: Mapped[Decimal | None] = mapped_column(Numeric(20, 4), nullable=True)
    # Unit kinds that must report it, comma-separated ("department,district,commune").
    reporting_kinds: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    targets: Mapped[list[IndicatorTarget]] = relationship(
        back_populates="indicator", order_by="IndicatorTarget.year",
        cascade="all, delete-orphan")

    @property
    def reporting_kind_list(self) -> list[str]:
        return [k for k in self.reporting_kinds.split(",") if k]

    @property
    def is_fraction(self) -> bool:
        return self.kind in (IndicatorKind.RATIO, IndicatorKind.YES_NO)


class IndicatorTarget(SharedDownTree, Model):
    """The target of an indicator for one year."""

    __tablename__ = "indicator_target"
    __table_args__ = (UniqueConstraint("indicator_id", "year", name="uq_indicator_target_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"),
                                              index=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[Decimal] = mapped_column(Numeric(20, 4))

    indicator: Mapped[Indicator] = relationship(back_populates="targets")
