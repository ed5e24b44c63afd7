"""Indicators mapped across plans: which national indicator each of a province's
indicators feeds (issue 21).

A province's framework implements the national one (``Framework.parent_id``); each
indicator of the province's framework version says how it feeds the national indicators
of that parent: with the same meaning, through a conversion factor, as one of several
parts that add up, as the numerator or the denominator of a national ratio, or not at all
("no national counterpart"). The province framework's owner sets it; the ministry reads
it (the province is in its subtree) to add the provinces up (``portal.national``).

The rules (``check``), each refusal a ``MappingError`` in the reader's language:

- kinds that cannot be combined: a ratio or a yes/no share cannot feed a count or an
  amount; a yes/no only feeds a yes/no share; a text never feeds a number (nor a number a
  text); a count feeds an amount of money never, nor the reverse;
- a numerator or a denominator only feeds a national ratio, and only from a count or an
  amount; a conversion factor only converts a count or an amount, and is positive;
- the national indicator must belong to the published version of the framework the
  province's framework implements (its parent), not any other;
- both add up the same way over time (per year, cumulative, the latest value);
- one province feeds a national indicator once — one indicator with the same meaning or
  converted, or several declared as parts to add, or one numerator and one denominator.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model, db
from portal.frameworks.framework import Framework, FrameworkVersion
from portal.frameworks.indicator import (
    TIME_BEHAVIOUR_LABELS,
    Indicator,
    IndicatorKind,
    TimeBehaviour,
)
from portal.problems import DomainError
from tenants.scoping import DistributionKeyed, TenantScoped


class MappingMode(enum.StrEnum):
    SAME = "same"                  # the same meaning, the same unit
    FACTOR = "factor"              # the same meaning, multiplied by a conversion factor
    PART = "part"                  # one of several parts that add up (times its factor)
    NUMERATOR = "numerator"        # the numerator of a national ratio
    DENOMINATOR = "denominator"    # the denominator of a national ratio
    NONE = "none"                  # no national counterpart


MAPPING_MODE_LABELS = {
    MappingMode.SAME: _l("Same meaning"),
    MappingMode.FACTOR: _l("Same meaning, converted by a factor"),
    MappingMode.PART: _l("One of several parts that add up"),
    MappingMode.NUMERATOR: _l("Numerator of a national ratio"),
    MappingMode.DENOMINATOR: _l("Denominator of a national ratio"),
    MappingMode.NONE: _l("No national counterpart"),
}

NUMBERS = (IndicatorKind.COUNT, IndicatorKind.AMOUNT)


class MappingError(DomainError):
    """A mapping the rules refuse."""


class IndicatorMapping(DistributionKeyed, TenantScoped, Model):
    """How one indicator of a province's framework version feeds the national plan."""

    __tablename__ = "indicator_mapping"
    __table_args__ = (UniqueConstraint("indicator_id", name="uq_indicator_mapping_indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The owner of the province's framework: the mapping is its to set, and the ministry
    # above reads it by the normal reach rules.
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("framework_version.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    national_indicator_id: Mapped[int | None] = mapped_column(
        ForeignKey("indicator.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(String(12), default=MappingMode.NONE.value)
    # FACTOR and PART: national value = province value × factor (1000 for thousands).
    factor: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    note: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def multiplier(self) -> Decimal:
        return self.factor if self.mode in (MappingMode.FACTOR, MappingMode.PART) \
            and self.factor is not None else Decimal(1)


def _kind_problem(province: Indicator, national: Indicator, mode: str) -> str | None:
    """Why ``province`` cannot feed ``national`` in ``mode``, or None."""
    p, n = province.kind, national.kind
    if IndicatorKind.TEXT in (p, n):
        if p == n and mode == MappingMode.SAME:
            return None
        if p == IndicatorKind.TEXT:
            return _("A text indicator never feeds a number.")
        if n == IndicatorKind.TEXT:
            return _("A number does not feed a text indicator; map a text to a text.")
        return _("Texts are compiled with the same meaning only.")
    if n == IndicatorKind.YES_NO or p == IndicatorKind.YES_NO:
        if p == n and mode == MappingMode.SAME:
            return None
        return _("A yes/no indicator only feeds a yes/no share, with the same meaning.")
    if n in NUMBERS:
        if p == IndicatorKind.RATIO:
            return _("A ratio or a share cannot feed a count or an amount.")
        if p != n:
            return _("A count and an amount of money cannot be combined.")
        if mode in (MappingMode.NUMERATOR, MappingMode.DENOMINATOR):
            return _("A numerator or a denominator only feeds a national ratio.")
        return None
    # the national indicator is a ratio
    if p == IndicatorKind.RATIO:
        if mode == MappingMode.SAME:
            return None
        return _("A ratio feeds a national ratio with the same meaning (its numerator and "
                 "denominator are added up); it is not converted nor split.")
    if mode in (MappingMode.NUMERATOR, MappingMode.DENOMINATOR):
        return None
    return _("A count or an amount feeds a national ratio only as its numerator or its "
             "denominator.")


def _behaviour(value: str) -> str:
    label = TIME_BEHAVIOUR_LABELS.get(TimeBehaviour(value)) \
        if value in {b.value for b in TimeBehaviour} else None
    return str(label) if label is not None else value


def national_version(framework: Framework) -> FrameworkVersion | None:
    """The published version of the plan ``framework`` implements, if any."""
    if framework.parent_id is None or framework.parent is None:
        return None
    return framework.parent.published()


def check(version: FrameworkVersion, rows: dict[int, tuple[str, int | None, Decimal | None]]
          ) -> None:
    """Refuse ``rows`` (province indicator id -> mode, national indicator id, factor) for
    ``version``, a version of a province's framework, unless every rule holds."""
    framework = version.framework
    parent = national_version(framework)
    own = {i.id: i for i in db.session.scalars(
        select(Indicator).where(Indicator.version_id == version.id))}
    national = {} if parent is None else {i.id: i for i in db.session.scalars(
        select(Indicator).where(Indicator.version_id == parent.id))}
    problems: dict[str, str] = {}
    fed: dict[int, list[tuple[Indicator, str]]] = {}
    for indicator_id, (mode, national_id, factor) in rows.items():
        indicator = own.get(indicator_id)
        if indicator is None:
            problems[str(indicator_id)] = _("This indicator is not one of this version's.")
            continue
        field = f"mode-{indicator.id}"
        if mode not in {m.value for m in MappingMode}:
            problems[field] = _("%(code)s: choose how it feeds the national plan.",
                                code=indicator.code)
            continue
        if mode == MappingMode.NONE:
            if national_id is not None:
                problems[field] = _("%(code)s: “no national counterpart” names no national "
                                    "indicator.", code=indicator.code)
            continue
        if national_id is None:
            problems[field] = _("%(code)s: choose the national indicator it feeds.",
                                code=indicator.code)
            continue
        target = national.get(national_id)
        if target is None:
            problems[field] = _(
                "%(code)s: the national indicator must be one of the plan this framework "
                "implements (its parent, published version).", code=indicator.code)
            continue
        problem = _kind_problem(indicator, target, mode)
        if problem is None and indicator.kind != IndicatorKind.TEXT and \
                indicator.time_behaviour != target.time_behaviour:
            problem = _("The two indicators add up differently over time (%(own)s here, "
                        "%(national)s nationally): a yearly figure and a cumulative or "
                        "latest one cannot be combined.",
                        own=_behaviour(indicator.time_behaviour),
                        national=_behaviour(target.time_behaviour))
        if problem is None and mode in (MappingMode.FACTOR, MappingMode.PART) and \
                factor is not None and factor <= 0:
            problem = _("The conversion factor must be greater than zero.")
        if problem is None and mode == MappingMode.FACTOR and factor is None:
            problem = _("Give the conversion factor.")
        if problem is not None:
            problems[field] = f"{indicator.code} → {target.code}: {problem}"
            continue
        fed.setdefault(target.id, []).append((indicator, mode))
    for national_id, feeders in fed.items():
        if len(feeders) < 2:
            continue
        modes = [mode for _indicator, mode in feeders]
        target = national[national_id]
        parts = all(m == MappingMode.PART for m in modes)
        pair = sorted(modes) == [MappingMode.DENOMINATOR.value, MappingMode.NUMERATOR.value]
        if not (parts or pair):
            codes = ", ".join(i.code for i, _mode in feeders)
            problems[f"national-{national_id}"] = _(
                "%(codes)s all feed the national indicator %(national)s: a province feeds "
                "it once, unless its indicators are declared as parts that add up (or are "
                "one numerator and one denominator).", codes=codes, national=target.code)
    if problems:
        raise MappingError(problems)


def mappings_of(version_id: int) -> dict[int, IndicatorMapping]:
    """The version's mappings, by province indicator id."""
    return {m.indicator_id: m for m in db.session.scalars(
        select(IndicatorMapping).where(IndicatorMapping.version_id == version_id))}


def save_mapping(version: FrameworkVersion,
                 rows: dict[int, tuple[str, int | None, Decimal | None]]) -> None:
    """Check ``rows`` and make them the version's mapping (the rows not given are kept).

    The whole mapping is checked, the kept rows with the new ones, so a refusal names
    every conflict; nothing is written when anything is refused."""
    existing = mappings_of(version.id)
    merged = {m.indicator_id: (m.mode, m.national_indicator_id, m.factor)
              for m in existing.values()}
    merged.update(rows)
    check(version, merged)
    owner = version.framework.owner_unit_id
    for indicator_id, (mode, national_id, factor) in rows.items():
        mapping = existing.get(indicator_id)
        if mapping is None:
            mapping = IndicatorMapping(unit_id=owner, version_id=version.id,
                                       indicator_id=indicator_id)
            db.session.add(mapping)
        mapping.mode = mode
        mapping.national_indicator_id = None if mode == MappingMode.NONE else national_id
        mapping.factor = factor if mode in (MappingMode.FACTOR, MappingMode.PART) else None
    db.session.flush()


def set_parent(framework: Framework, parent: Framework | None) -> None:
    """Declare the plan ``framework`` implements (the national one above a province's).

    The parent must be another unit's framework, owned above the framework's owner, and
    no framework may implement itself through its parents."""
    from tenants.unit import UnitClosure

    if parent is not None:
        if parent.id == framework.id:
            raise MappingError({"parent_id": _("A framework cannot implement itself.")})
        above = db.session.scalar(select(UnitClosure.depth).where(
            UnitClosure.ancestor_id == parent.owner_unit_id,
            UnitClosure.descendant_id == framework.owner_unit_id, UnitClosure.depth > 0))
        if above is None:
            raise MappingError({"parent_id": _(
                "The plan above must be owned by a unit above this framework's owner.")})
        seen, cursor = {framework.id}, parent
        while cursor is not None:
            if cursor.id in seen:
                raise MappingError({"parent_id": _("The plans would implement each other.")})
            seen.add(cursor.id)
            cursor = cursor.parent
    if (parent.id if parent else None) != framework.parent_id:
        # the mapping was to the old parent's indicators: it no longer holds
        for version in framework.versions:
            for mapping in mappings_of(version.id).values():
                db.session.delete(mapping)
    framework.parent_id = parent.id if parent else None
    framework.parent = parent
    db.session.flush()


def mapping_version(framework: Framework) -> FrameworkVersion | None:
    """The version whose indicators the mapping page maps: the one in force, else the
    draft."""
    return framework.published() or framework.draft()


def save_mapping_form(version: FrameworkVersion, form: dict[str, str]) -> None:
    """The mapping page's form (``mode-<id>``, ``national-<id>``, ``factor-<id>`` for each
    province indicator id), read and saved as ``save_mapping`` does."""
    from portal.numbers import NumberError, parse_number

    rows: dict[int, tuple[str, int | None, Decimal | None]] = {}
    problems: dict[str, str] = {}
    for key, mode in form.items():
        if not key.startswith("mode-") or not mode:
            continue
        try:
            indicator_id = int(key.removeprefix("mode-"))
        except ValueError:
            problems[key] = _("This indicator is not one of this version's.")
            continue
        national = form.get(f"national-{indicator_id}", "").strip()
        factor_text = form.get(f"factor-{indicator_id}", "").strip()
        factor = None
        if factor_text and mode in (MappingMode.FACTOR, MappingMode.PART):
            try:
                factor = parse_number(factor_text)
            except NumberError as exc:
                problems[f"factor-{indicator_id}"] = exc.messages[0]
                continue
        rows[indicator_id] = (mode, int(national) if national.isdigit() else None, factor)
    if problems:
        raise MappingError(problems)
    if not rows:
        raise MappingError({"mode": _("Nothing to save: no indicator was given.")})
    save_mapping(version, rows)


def parent_choices(framework: Framework) -> list[Framework]:
    """The published frameworks owned above ``framework``'s owner that it may implement."""
    from tenants.unit import UnitClosure

    return [f for f in db.session.scalars(
        select(Framework).join(UnitClosure, UnitClosure.ancestor_id == Framework.owner_unit_id)
        .where(UnitClosure.descendant_id == framework.owner_unit_id, UnitClosure.depth > 0)
        .order_by(Framework.id)) if f.published() is not None]


def set_parent_form(framework: Framework, parent_id: str) -> None:
    """The framework page's "implements" choice: a framework id among ``parent_choices``,
    or empty for none."""
    if not parent_id.strip():
        set_parent(framework, None)
        return
    chosen = next((f for f in parent_choices(framework) if str(f.id) == parent_id.strip()),
                  None)
    if chosen is None:
        raise MappingError({"parent_id": _(
            "Choose a published plan of a unit above this framework's owner.")})
    set_parent(framework, chosen)


@dataclass
class MappingPage:
    """What the mapping page shows: the province's indicators, the national ones they
    may feed, the mapping so far and the plans the framework may implement."""

    version: FrameworkVersion | None
    national: FrameworkVersion | None
    indicators: list[Indicator]
    targets: list[Indicator]
    mappings: dict[int, IndicatorMapping]
    choices: list[Framework]


def mapping_page(framework: Framework) -> MappingPage:
    version = mapping_version(framework)
    national = national_version(framework)

    def indicators_of(v: FrameworkVersion | None) -> list[Indicator]:
        return list(db.session.scalars(select(Indicator).where(
            Indicator.version_id == v.id).order_by(Indicator.position))) if v else []

    return MappingPage(version=version, national=national, indicators=indicators_of(version),
                       targets=indicators_of(national),
                       mappings=mappings_of(version.id) if version else {},
                       choices=parent_choices(framework))


def copy_mapping(source: FrameworkVersion, copy: FrameworkVersion) -> None:
    """A new version starts with the mapping of the version it was copied from, indicator
    by indicator (by code). Not checked again here: the owner reviews it on the page."""
    new = {i.code: i.id for i in db.session.scalars(
        select(Indicator).where(Indicator.version_id == copy.id))}
    old = {i.id: i.code for i in db.session.scalars(
        select(Indicator).where(Indicator.version_id == source.id))}
    for mapping in mappings_of(source.id).values():
        twin = new.get(old.get(mapping.indicator_id, ""))
        if twin is not None:
            db.session.add(IndicatorMapping(
                unit_id=mapping.unit_id, version_id=copy.id, indicator_id=twin,
                national_indicator_id=mapping.national_indicator_id, mode=mapping.mode,
                factor=mapping.factor, note=mapping.note, position=mapping.position))
    db.session.flush()
