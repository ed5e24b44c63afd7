"""What the framework pages and the API's framework reads show: typed read-models, built here.

A view loads its framework through the guard, checks access, and renders one of these
(``render_template(…, **vars(parts))``) or serializes it; it runs no query of its own. The
tenant guard scopes these selects as it scoped the views' own: a framework not in reach
is not listed, and a part of another version is not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select

from portal.extensions import db
from portal.frameworks.framework import Framework, FrameworkNode, FrameworkVersion
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from portal.frameworks.responsibility import Responsibility
from tenants.ordering import natural_order
from tenants.tree import unit_labels
from tenants.unit import Unit

# a row that belongs to one framework version
_Part = TypeVar("_Part", FrameworkNode, Indicator, Responsibility)


@dataclass
class VersionParts:
    """One version's outline, indicators and responsibilities, with the names they use."""

    nodes: list[FrameworkNode]                  # in document order
    indicators: list[Indicator]                 # in document order
    responsibilities: list[Responsibility]
    nodes_by_id: dict[int, FrameworkNode]
    labels: dict[int, tuple[str, str]]          # unit id -> (code, name): owner and named


def version_parts(version: FrameworkVersion, owner_unit_id: int | None = None) -> VersionParts:
    """The version's parts; ``labels`` name ``owner_unit_id`` (the version's owner if None)."""
    nodes = list(db.session.scalars(select(FrameworkNode).where(
        FrameworkNode.version_id == version.id).order_by(FrameworkNode.position)))
    indicators = list(db.session.scalars(select(Indicator).where(
        Indicator.version_id == version.id).order_by(Indicator.position)))
    responsibilities = list(db.session.scalars(select(Responsibility).where(
        Responsibility.version_id == version.id)))
    owner = version.owner_unit_id if owner_unit_id is None else owner_unit_id
    return VersionParts(
        nodes=nodes, indicators=indicators, responsibilities=responsibilities,
        nodes_by_id={n.id: n for n in nodes},
        labels=unit_labels([owner] + [n.unit_id for r in responsibilities for n in r.named]))


def part_of(model: type[_Part], part_id: int, version: FrameworkVersion) -> _Part | None:
    """A node, indicator or responsibility of this very version, or None."""
    return db.session.scalar(select(model).where(model.id == part_id,
                                                 model.version_id == version.id))


def periods_of(framework: Framework) -> list[ReportingPeriod]:
    """The framework's reporting periods, by year."""
    return list(db.session.scalars(select(ReportingPeriod).where(
        ReportingPeriod.framework_id == framework.id).order_by(ReportingPeriod.year)))


def period_of(framework: Framework, period_id: int) -> ReportingPeriod | None:
    """The framework's period ``period_id``, or None (another framework's is not found)."""
    return db.session.scalar(select(ReportingPeriod).where(
        ReportingPeriod.id == period_id, ReportingPeriod.framework_id == framework.id))


def owner_children(framework: Framework) -> list[Unit]:
    """The units right under the framework's owner (whom a responsibility may name)."""
    return list(db.session.scalars(select(Unit).where(
        Unit.parent_id == framework.owner_unit_id).order_by(*natural_order())))


def frameworks_in_reach() -> list[Framework]:
    """Every framework the tenant guard lets the caller see, by id."""
    return list(db.session.scalars(select(Framework).order_by(Framework.id)))


def indicator_by_code(version: FrameworkVersion, code: str) -> Indicator | None:
    """The version's indicator with this code, or None."""
    return db.session.scalar(select(Indicator).where(
        Indicator.version_id == version.id, Indicator.code == code))


@dataclass
class FrameworkReading:
    """One version of a framework as the API gives it: its parts and the framework's periods."""

    parts: VersionParts
    periods: list[ReportingPeriod]


def framework_reading(framework: Framework, version: FrameworkVersion) -> FrameworkReading:
    """``version``'s parts (labels naming the framework's owner) and the periods, by year."""
    return FrameworkReading(parts=version_parts(version, framework.owner_unit_id),
                            periods=periods_of(framework))
