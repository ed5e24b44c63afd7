"""The expressions of a validation rule's two sides, parsed by hand into a typed tree.

Grammar (no ``eval``; docs/validation.md):

    expression := term (("+" | "-" | "−") term)*
    term       := factor (("*" | "×" | "/" | "÷") factor)*
    factor     := number | reference | "prev(" reference ")" | "(" expression ")"
                  | "-" factor
    reference  := "#{" code [":" part] "}"       part: value | numerator | denominator

A number is written with a decimal point or a decimal comma ("0,5"). ``#{II.1.e}`` is an
indicator's value (a ratio's part ÷ total, a yes/no as 1 or 0); ``#{II.1.e:numerator}``
and ``#{II.1.e:denominator}`` are a ratio's part and total; ``prev(#{II.1.d})`` is the
same value in the unit's report of the year before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

PARTS = ("value", "numerator", "denominator")
MAX_LENGTH = 500
MAX_DEPTH = 30


class ExpressionError(ValueError):
    """An expression that cannot be read; the message says where, in Vietnamese."""


@dataclass(frozen=True)
class Number:
    value: Decimal


@dataclass(frozen=True)
class Reference:
    code: str                # the indicator's code, "II.1.e"
    part: str = "value"      # value | numerator | denominator
    last_year: bool = False  # prev(…): the unit's report of the year before


@dataclass(frozen=True)
class Negative:
    operand: Expression


@dataclass(frozen=True)
class Operation:
    operator: str            # + - * /
    left: Expression
    right: Expression


Expression = Number | Reference | Negative | Operation

# What a reference is worth in one evaluation: None when the value is missing.
Lookup = Callable[[Reference], Decimal | None]


# ---- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str    # number, reference, prev, op, open, close, end
    text: str
    at: int      # 1-based position, for the message


def _tokens(source: str) -> Iterator[_Token]:
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char.isspace():
            i += 1
        elif char.isdigit():
            start = i
            while i < n and (source[i].isdigit() or source[i] in ".,"):
                i += 1
            yield _Token("number", source[start:i], start + 1)
        elif source.startswith("#{", i):
            end = source.find("}", i)
            if end < 0:
                raise ExpressionError(_("Position %(at)d: a reference “#{” is not closed "
                                        "with “}”.", at=i + 1))
            yield _Token("reference", source[i + 2:end].strip(), i + 1)
            i = end + 1
        elif source[i:i + 5].lower() == "prev(":
            yield _Token("prev", "prev(", i + 1)
            i += 5
        elif char in "+-−*/×÷":
            yield _Token("op", {"×": "*", "÷": "/", "−": "-"}.get(char, char), i + 1)
            i += 1
        elif char == "(":
            yield _Token("open", char, i + 1)
            i += 1
        elif char == ")":
            yield _Token("close", char, i + 1)
            i += 1
        else:
            raise ExpressionError(_("Position %(at)d: “%(char)s” is not allowed here.",
                                    at=i + 1, char=char))
    yield _Token("end", "", n + 1)


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = list(_tokens(source))
        self.i = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expression(self) -> Expression:
        node = self.term()
        while self.token.kind == "op" and self.token.text in "+-":
            operator = self.take().text
            node = Operation(operator, node, self.term())
        return node

    def term(self) -> Expression:
        node = self.factor()
        while self.token.kind == "op" and self.token.text in "*/":
            operator = self.take().text
            node = Operation(operator, node, self.factor())
        return node

    def factor(self) -> Expression:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(_("The expression is nested too deeply."))
        try:
            return self._factor()
        finally:
            self.depth -= 1

    def _factor(self) -> Expression:
        token = self.take()
        if token.kind == "number":
            return Number(_number(token))
        if token.kind == "reference":
            return _reference(token)
        if token.kind == "prev":
            inner = self.take()
            if inner.kind != "reference":
                raise ExpressionError(_("Position %(at)d: prev( takes one reference, such as "
                                        "prev(#{II.1.d}).", at=token.at))
            self._close(token)
            found = _reference(inner)
            return Reference(found.code, found.part, last_year=True)
        if token.kind == "open":
            node = self.expression()
            self._close(token)
            return node
        if token.kind == "op" and token.text == "-":
            return Negative(self.factor())
        if token.kind == "end":
            raise ExpressionError(_("The expression ends too early."))
        raise ExpressionError(_("Position %(at)d: “%(text)s” is not expected here.",
                                at=token.at, text=token.text))

    def _close(self, opened: _Token) -> None:
        if self.take().kind != "close":
            raise ExpressionError(_("Position %(at)d: a bracket is opened and not closed.",
                                    at=opened.at))


def _number(token: _Token) -> Decimal:
    text = token.text.replace(",", ".")
    try:
        if text.count(".") > 1:
            raise InvalidOperation
        return Decimal(text)
    except InvalidOperation:
        raise ExpressionError(_("Position %(at)d: “%(text)s” is not a number.",
                                at=token.at, text=token.text)) from None


def _reference(token: _Token) -> Reference:
    code, _colon, part = token.text.partition(":")
    code, part = code.strip(), (part.strip().lower() or "value")
    if not code:
        raise ExpressionError(_("Position %(at)d: the reference names no indicator.",
                                at=token.at))
    if part not in PARTS:
        raise ExpressionError(_("Position %(at)d: “%(part)s” is not a part of a value "
                                "(value, numerator or denominator).", at=token.at, part=part))
    return Reference(code, part)


def parse(source: str) -> Expression:
    """The tree of ``source``; ``ExpressionError`` with a Vietnamese message otherwise."""
    source = (source or "").strip()
    if not source:
        raise ExpressionError(_("Write an expression."))
    if len(source) > MAX_LENGTH:
        raise ExpressionError(_("The expression is too long (at most %(n)d characters).",
                                n=MAX_LENGTH))
    parser = _Parser(source)
    node = parser.expression()
    if parser.token.kind != "end":
        raise ExpressionError(_("Position %(at)d: “%(text)s” is not expected here.",
                                at=parser.token.at, text=parser.token.text))
    return node


def references(node: Expression) -> list[Reference]:
    """Every reference of the tree, left to right."""
    if isinstance(node, Reference):
        return [node]
    if isinstance(node, Negative):
        return references(node.operand)
    if isinstance(node, Operation):
        return references(node.left) + references(node.right)
    return []


# ---- evaluating ----------------------------------------------------------------------------


class _NoValue(Exception):
    """A division by zero: the side has no value."""


def evaluate(node: Expression, lookup: Lookup, missing_as_zero: bool) -> Decimal | None:
    """The value of the tree; a missing reference is 0 when ``missing_as_zero``, else the
    whole side is None. A division by zero makes it None too."""
    try:
        return _evaluate(node, lookup, missing_as_zero)
    except _NoValue:
        return None


def _evaluate(node: Expression, lookup: Lookup, zero: bool) -> Decimal | None:
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Reference):
        found = lookup(node)
        return Decimal(0) if found is None and zero else found
    if isinstance(node, Negative):
        inner = _evaluate(node.operand, lookup, zero)
        return None if inner is None else -inner
    left, right = _evaluate(node.left, lookup, zero), _evaluate(node.right, lookup, zero)
    if left is None or right is None:
        return None
    if node.operator == "+":
        return left + right
    if node.operator == "-":
        return left - right
    if node.operator == "*":
        return left * right
    if right == 0:
        raise _NoValue
    return left / right
