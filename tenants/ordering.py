"""The natural order of units, wherever units are listed (issue 17).

Kinds in groups (the provincial departments and bodies apart from the districts and the
communes, as a consolidated report lists them); inside a group, the administrative units
(province, district, commune) in the official order of their codes read as numbers, and the
bodies without an official code (departments, offices) by name, accents aside. Text order
put ``33.SKHCN`` between two districts (``329`` < ``33.`` < ``330``); this does not.

``natural_key`` sorts what Python holds; ``natural_order`` is the same order in SQL, for a
listing that pages (the two are checked against each other in tests/test_ordering.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, case, func, literal

from tenants.text import search_key
from tenants.unit import Unit, UnitKind

# The groups, in the order listings show them.
KIND_ORDER: tuple[str, ...] = (UnitKind.NATION.value, UnitKind.PROVINCE.value,
                               UnitKind.DEPARTMENT.value, UnitKind.DISTRICT.value,
                               UnitKind.COMMUNE.value, UnitKind.OFFICE.value)
# Kinds whose units have no official code: listed by name.
BY_NAME: frozenset[str] = frozenset({UnitKind.NATION.value, UnitKind.DEPARTMENT.value,
                                     UnitKind.OFFICE.value})
_RANK = {kind: i for i, kind in enumerate(KIND_ORDER)}

T = TypeVar("T")


def natural_key(code: str, name: str, kind: str) -> tuple[Any, ...]:
    """The sort key of one unit: (group, name for a body, the code as a number, name, code).

    An official code is read as a number by its digits without leading zeros, shorter
    first: ``9`` before ``10``, ``00004`` before ``00012``.
    """
    digits = code.lstrip("0")
    named = search_key(name)
    return (_RANK.get(kind, len(KIND_ORDER)), named if kind in BY_NAME else "",
            len(digits), digits, named, code)


def unit_key(unit: Unit) -> tuple[Any, ...]:
    return natural_key(unit.code, unit.name, unit.kind)


def in_natural_order(items: Iterable[T], unit_of: Callable[[T], tuple[str, str, str]]
                     ) -> list[T]:
    """``items`` sorted by the natural order of their unit; ``unit_of`` gives an item's
    (code, name, kind)."""
    return sorted(items, key=lambda item: natural_key(*unit_of(item)))


def natural_order(unit: Any = Unit) -> list[ColumnElement[Any]]:
    """``natural_key`` as ORDER BY terms on ``unit`` (the model or an alias of it)."""
    digits = func.ltrim(unit.code, "0")
    return [case(_RANK, value=unit.kind, else_=literal(len(KIND_ORDER))),
            case((unit.kind.in_(sorted(BY_NAME)), unit.search_name), else_=literal("")),
            func.length(digits), digits, unit.search_name, unit.code]
