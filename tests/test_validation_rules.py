"""Validation rules (issue 18, items 1–3): the parser, each operator and missing-value
strategy computed by hand, the owner's pages, checks as one types and at submission, and
runs over a subtree (docs/validation.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.validation.checking import Figures, Outcome, judge, lookup_in, side
from portal.validation.expressions import (
    ExpressionError,
    Negative,
    Number,
    Operation,
    Reference,
    parse,
)
from tenants.scoping import system_scope

D = Decimal


def values(**given: str | None):
    """A lookup over a = II.1.a … by letter: ``values(b="3", c=None)``."""
    figures = {f"II.1.{k}": Figures("count", None if v is None else D(v))
               for k, v in given.items()}
    return lookup_in(figures, {})


# ---- the parser ---------------------------------------------------------------------------


def test_the_parser_builds_a_typed_tree_with_precedence_and_brackets() -> None:
    assert parse("#{II.1.b} + 2 × #{II.1.d:numerator}") == Operation(
        "+", Reference("II.1.b"), Operation("*", Number(D(2)), Reference("II.1.d", "numerator")))
    assert parse("(#{II.1.b} − 1) ÷ 0,5") == Operation(
        "/", Operation("-", Reference("II.1.b"), Number(D(1))), Number(D("0.5")))
    assert parse("-prev(#{II.1.đ})") == Negative(Reference("II.1.đ", last_year=True))
    assert parse("10 - 2 - 3") == Operation("-", Operation("-", Number(D(10)), Number(D(2))),
                                            Number(D(3)))


@pytest.mark.parametrize("source", [
    "", "#{II.1.b", "#{II.1.b} +", "(1 + 2", "1 2", "__import__('os')", "#{II.1.b:tong}",
    "prev(3)", "1,2,3", "#{}", "(" * 40 + "1" + ")" * 40, "1" + " + 1" * 200])
def test_the_parser_refuses_what_is_not_an_expression(app, source: str) -> None:
    with app.test_request_context(), pytest.raises(ExpressionError) as refused:
        parse(source)
    assert str(refused.value)   # a sentence, never a traceback


# ---- missing-value strategies (hand-computed) ------------------------------------------------

SUM = "#{II.1.b} + #{II.1.c}"


@pytest.mark.parametrize(("b", "c", "strategy", "expected"), [
    # skip if any value is missing: one missing leaves the side out
    ("3", "4", "skip_if_any", D(7)),
    ("3", None, "skip_if_any", None),
    (None, None, "skip_if_any", None),
    # skip if all are missing: one missing counts as 0; all missing leaves it out
    ("3", None, "skip_if_all", D(3)),
    (None, None, "skip_if_all", None),
    # never skip: every missing value counts as 0
    ("3", None, "never_skip", D(3)),
    (None, None, "never_skip", D(0)),
])
def test_each_missing_value_strategy(b, c, strategy, expected) -> None:
    assert side(parse(SUM), strategy, values(b=b, c=c)) == expected


def test_a_constant_side_is_never_missing_and_a_division_by_zero_has_no_value() -> None:
    assert side(parse("5"), "skip_if_all", values()) == D(5)
    assert side(parse("#{II.1.b} / #{II.1.c}"), "never_skip", values(b="3", c=None)) is None


# ---- operators (hand-computed) ---------------------------------------------------------------


@pytest.mark.parametrize(("operator", "left", "right", "outcome"), [
    ("eq", "4", "4", "holds"), ("eq", "4", "5", "broken"),
    ("ne", "4", "5", "holds"), ("ne", "4", "4", "broken"),
    ("lt", "4", "5", "holds"), ("lt", "5", "5", "broken"),
    ("le", "5", "5", "holds"), ("le", "6", "5", "broken"),
    ("gt", "6", "5", "holds"), ("gt", "5", "5", "broken"),
    ("ge", "5", "5", "holds"), ("ge", "4", "5", "broken"),
    # both or neither: exactly one side with a value breaks it
    ("pair", "4", "5", "holds"), ("pair", None, None, "holds"),
    ("pair", "4", None, "broken"), ("pair", None, "5", "broken"),
    # not both: both sides with a value break it
    ("exclusive", "4", "5", "broken"), ("exclusive", "4", None, "holds"),
    ("exclusive", None, "5", "holds"), ("exclusive", None, None, "holds"),
    # a comparison with a side left out is not checked at all
    ("le", "6", None, "skipped"), ("eq", None, None, "skipped"),
])
def test_each_operator(operator, left, right, outcome) -> None:
    verdict = judge(parse("#{II.1.b}"), operator, parse("#{II.1.c}"), "skip_if_any",
                    "skip_if_any", values(b=left, c=right))
    assert verdict.outcome == Outcome(outcome)


def test_a_never_skipped_side_has_a_value_for_the_pair_operators() -> None:
    lookup = values(b=None, c="5")
    assert judge(parse("#{II.1.b}"), "pair", parse("#{II.1.c}"), "never_skip", "skip_if_any",
                 lookup).outcome == Outcome.HOLDS      # 0 and 5: both have a value
    assert judge(parse("#{II.1.b}"), "exclusive", parse("#{II.1.c}"), "never_skip",
                 "skip_if_any", lookup).outcome == Outcome.BROKEN


def test_ratio_parts_yes_no_and_last_year() -> None:
    this = {"II.1.d": Figures("ratio", None, D(3), D(4)), "II.1.a": Figures("yes_no", D(0)),
            "II.1.b": Figures("count", D(2)), "II.1.i": Figures("text")}
    last = {"II.1.d": Figures("ratio", None, D(2), D(10))}
    lookup = lookup_in(this, last)
    assert side(parse("#{II.1.d}"), "skip_if_any", lookup) == D("0.75")
    assert side(parse("#{II.1.d:denominator} - prev(#{II.1.d:denominator})"), "skip_if_any",
                lookup) == D(-6)
    assert side(parse("#{II.1.i}"), "skip_if_any", lookup) is None
    # Plan 108's "no dissemination, no forum": 2 × (1 − 0) = 2 ≠ 0
    verdict = judge(parse("#{II.1.b} × (1 − #{II.1.a})"), "eq", parse("0"), "skip_if_any",
                    "skip_if_any", lookup)
    assert (verdict.outcome, verdict.left, verdict.right) == (Outcome.BROKEN, D(2), D(0))
    # (1 ÷ 3) × 3 = 1 at ten decimal places
    assert judge(parse("1 / 3 * 3"), "eq", parse("1"), "never_skip", "never_skip",
                 lookup).outcome == Outcome.HOLDS
