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


class TargetScope(enum.StrEnum):
    """What an indicator's target measures, so the dashboard compares it at its level."""

    OWN = "own"        # the owning unit's own figure: what its own bodies report
    SUM = "sum"        # the sum (or ratio of sums) over every unit below
    SHARE = "share"    # the share of the units expected that say yes / give a non-zero value


TARGET_SCOPE_LABELS = {
    TargetScope.OWN: _l("The owning unit's own figure (its departments and bodies)"),
    TargetScope.SUM: _l("The sum over the units below"),
    TargetScope.SHARE: _l("The share of the units that say yes or give a non-zero value")}


class TargetPath(enum.StrEnum):
    """How the target of each year is set."""

    YEARLY = "yearly"  # given per year (a year without one: the final target)
    LINEAR = "linear"  # a straight line from the baseline to the final target


TARGET_PATH_LABELS = {
    TargetPath.YEARLY: _l("Given for each year"),
    TargetPath.LINEAR: _l("A straight line from the baseline to the final target")}


class Direction(enum.StrEnum):
    """Which way an indicator should move (health and projection read it)."""

    INCREASE = "increase"    # higher is better: classes held, share trained
    DECREASE = "decrease"    # lower is better: violations found, days to resolve
    MAINTAIN = "maintain"    # hold the target, within a tolerance: 100 % resolved each year


DIRECTION_LABELS = {
    Direction.INCREASE: _l("Higher is better"),
    Direction.DECREASE: _l("Lower is better"),
    Direction.MAINTAIN: _l("Maintain the target (within a tolerance)")}

DEFAULT_TOLERANCE = Decimal("0.05")   # a "maintain" indicator: within 5 % of its target


# Which target scopes each kind allows (a yes/no is always a share of units).
ALLOWED_SCOPES: dict[str, set[str]] = {
    IndicatorKind.COUNT: {TargetScope.OWN, TargetScope.SUM, TargetScope.SHARE},
    IndicatorKind.AMOUNT: {TargetScope.OWN, TargetScope.SUM, TargetScope.SHARE},
    IndicatorKind.RATIO: {TargetScope.OWN, TargetScope.SUM},
    IndicatorKind.YES_NO: {TargetScope.SHARE},
    IndicatorKind.TEXT: {TargetScope.SUM},
}


def default_scope(aggregation: str) -> str:
    """Today's meaning of a target: a share of units for a yes/no, else the sum."""
    return TargetScope.SHARE.value if aggregation == Aggregation.SHARE_OF_EXPECTED \
        else TargetScope.SUM.value


def default_path(time_behaviour: str, has_yearly_targets: bool) -> str:
    """Today's reading: a cumulative count without yearly targets follows a straight line."""
    return TargetPath.LINEAR.value if time_behaviour == TimeBehaviour.CUMULATIVE \
        and not has_yearly_targets else TargetPath.YEARLY.value


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
    # What the target measures and how each year's target is set (TargetScope, TargetPath).
    target_scope: Mapped[str] = mapped_column(String(8), default=TargetScope.SUM.value,
                                              server_default=TargetScope.SUM.value)
    target_path: Mapped[str] = mapped_column(String(8), default=TargetPath.YEARLY.value,
                                             server_default=TargetPath.YEARLY.value)
    # Where a straight-line target starts: the value at the baseline year (None: 0 in the
    # year before the plan's first reporting year).
    baseline: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    # Which way it should move, and for "maintain" how far from the target still counts
    # as holding it (a fraction of the target: 0.05 = within 5 %; portal.progress.health).
    direction: Mapped[str] = mapped_column(String(10), default=Direction.INCREASE.value,
                                           server_default=Direction.INCREASE.value)
    tolerance: Mapped[Decimal | None] = mapped_column(Numeric(8, 4))
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

    @property
    def target_is_fraction(self) -> bool:
        """Whether the targets are shares (1 = 100 %): ratios, yes/no, shares of units."""
        return self.is_fraction or self.target_scope == TargetScope.SHARE


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
