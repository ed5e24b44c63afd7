"""What a rule says about one unit's values of one period: skipped, holds, or broken.

Pure functions over a ``Lookup`` (a reference → its value or None), so the page, the
submission and the run all judge the same way (semantics in docs/validation.md).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from portal.validation.expressions import Expression, Lookup, Reference, evaluate, parse, references
from portal.validation.rule import MissingValues, Operator

# Sides are compared at this many decimal places: (1 ÷ 3) × 3 equals 1.
PLACES = Decimal("0.0000000001")


class Outcome(enum.StrEnum):
    SKIPPED = "skipped"     # a side left out by its missing-value strategy
    HOLDS = "holds"
    BROKEN = "broken"


@dataclass(frozen=True)
class Judgement:
    outcome: Outcome
    left: Decimal | None
    right: Decimal | None


@lru_cache(maxsize=2048)
def parsed(source: str) -> Expression:
    """The tree of an expression already accepted when its rule was saved."""
    return parse(source)


def side(node: Expression, strategy: str, lookup: Lookup) -> Decimal | None:
    """The side's value, or None when its missing-value strategy leaves it out.

    skip_if_any: any reference missing → None. skip_if_all: every reference missing →
    None, otherwise the missing ones count as 0. never_skip: missing ones count as 0.
    A side without references (a constant) is never missing. A division by zero → None.
    """
    found = [lookup(ref) for ref in references(node)]
    missing = [value is None for value in found]
    if strategy == MissingValues.SKIP_IF_ANY and any(missing):
        return None
    if strategy == MissingValues.SKIP_IF_ALL and missing and all(missing):
        return None
    return evaluate(node, lookup, missing_as_zero=True)


def judge(left: Expression, operator: str, right: Expression, left_missing: str,
          right_missing: str, lookup: Lookup) -> Judgement:
    """The rule applied to one unit's values.

    A comparison is checked only when both sides have a value. "Both or neither" is broken
    when exactly one side has a value; "not both" when both have one (a side "has a value"
    unless its missing-value strategy leaves it out)."""
    a, b = side(left, left_missing, lookup), side(right, right_missing, lookup)
    if operator == Operator.COMPULSORY_PAIR:
        return Judgement(Outcome.BROKEN if (a is None) != (b is None) else Outcome.HOLDS, a, b)
    if operator == Operator.EXCLUSIVE_PAIR:
        return Judgement(Outcome.BROKEN if a is not None and b is not None else Outcome.HOLDS,
                         a, b)
    if a is None or b is None:
        return Judgement(Outcome.SKIPPED, a, b)
    x, y = a.quantize(PLACES), b.quantize(PLACES)
    holds = {Operator.EQUAL: x == y, Operator.NOT_EQUAL: x != y, Operator.LESS: x < y,
             Operator.LESS_OR_EQUAL: x <= y, Operator.GREATER: x > y,
             Operator.GREATER_OR_EQUAL: x >= y}[Operator(operator)]
    return Judgement(Outcome.HOLDS if holds else Outcome.BROKEN, a, b)


@dataclass(frozen=True)
class Figures:
    """A unit's stored figures for one indicator in one period."""

    kind: str
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None


def lookup_in(this_year: Mapping[str, Figures], last_year: Mapping[str, Figures]) -> Lookup:
    """A lookup over the unit's figures by indicator code, this year and the year before.

    ``value`` of a ratio is its part ÷ total (None if the total is 0 or missing); of a
    yes/no 1 or 0; of a text always None."""
    def find(ref: Reference) -> Decimal | None:
        figures = (last_year if ref.last_year else this_year).get(ref.code)
        if figures is None:
            return None
        if ref.part == "numerator":
            return figures.numerator
        if ref.part == "denominator":
            return figures.denominator
        if figures.kind == "ratio":
            if figures.numerator is None or not figures.denominator:
                return None
            return figures.numerator / figures.denominator
        return None if figures.kind == "text" else figures.value
    return find
