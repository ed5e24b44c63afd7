"""A validation rule of a framework: two sides, an operator, what to do with missing values.

DHIS2's definition (docs/validation.md): left and right expressions over the unit's values
of the period, each with a missing-value strategy; an importance; an instruction shown to
the person entering data. A rule belongs to the framework (not to one version): it keeps
applying when the owner publishes a new version with the same indicator codes.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.extensions import Model
from tenants.scoping import SharedDownTree


class Operator(enum.StrEnum):
    EQUAL = "eq"
    NOT_EQUAL = "ne"
    LESS = "lt"
    LESS_OR_EQUAL = "le"
    GREATER = "gt"
    GREATER_OR_EQUAL = "ge"
    COMPULSORY_PAIR = "pair"        # both sides have a value, or neither
    EXCLUSIVE_PAIR = "exclusive"    # not both sides have a value


OPERATOR_SIGNS = {Operator.EQUAL: "=", Operator.NOT_EQUAL: "≠", Operator.LESS: "<",
                  Operator.LESS_OR_EQUAL: "≤", Operator.GREATER: ">",
                  Operator.GREATER_OR_EQUAL: "≥"}
OPERATOR_LABELS = {Operator.EQUAL: _l("equals"), Operator.NOT_EQUAL: _l("differs from"),
                   Operator.LESS: _l("is less than"),
                   Operator.LESS_OR_EQUAL: _l("is at most"),
                   Operator.GREATER: _l("is more than"),
                   Operator.GREATER_OR_EQUAL: _l("is at least"),
                   Operator.COMPULSORY_PAIR: _l("both or neither"),
                   Operator.EXCLUSIVE_PAIR: _l("not both")}


class MissingValues(enum.StrEnum):
    """When a side is left out of the check (DHIS2's missing-value strategies)."""

    SKIP_IF_ANY = "skip_if_any"     # any value of the side missing: the rule is not checked
    SKIP_IF_ALL = "skip_if_all"     # all missing: not checked; some: the missing ones are 0
    NEVER_SKIP = "never_skip"       # always checked, a missing value counts as 0


MISSING_VALUES_LABELS = {
    MissingValues.SKIP_IF_ANY: _l("Skip when any value is missing"),
    MissingValues.SKIP_IF_ALL: _l("Skip when all values are missing"),
    MissingValues.NEVER_SKIP: _l("Never skip (a missing value counts as 0)")}


class Importance(enum.StrEnum):
    HIGH = "high"       # blocks submission unless the unit explains it
    MEDIUM = "medium"
    LOW = "low"


IMPORTANCE_LABELS = {Importance.HIGH: _l("High"), Importance.MEDIUM: _l("Medium"),
                     Importance.LOW: _l("Low")}


class ValidationRule(SharedDownTree, Model):
    __tablename__ = "validation_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"),
                                              index=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    left: Mapped[str] = mapped_column(String(500))      # the expression as written
    operator: Mapped[str] = mapped_column(String(10), default=Operator.LESS_OR_EQUAL.value)
    right: Mapped[str] = mapped_column(String(500))
    left_missing: Mapped[str] = mapped_column(String(12), default=MissingValues.SKIP_IF_ANY.value)
    right_missing: Mapped[str] = mapped_column(String(12),
                                               default=MissingValues.SKIP_IF_ANY.value)
    importance: Mapped[str] = mapped_column(String(8), default=Importance.MEDIUM.value)
    instruction: Mapped[str] = mapped_column(Text, default="")   # shown to the unit, Vietnamese
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 default=clock.now, server_default=func.now())
