"""Validation rules: kept by the framework's owner, checked as the unit types, at hand-over
and submission, and in runs over a subtree (docs/validation.md).

Operations only flush; the caller commits once. Refusals raise ``RuleError`` (by field).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from portal import clock, limits
from portal.extensions import db
from portal.frameworks.framework import Framework, FrameworkVersion, VersionStatus
from portal.frameworks.indicator import Indicator, IndicatorKind
from portal.frameworks.period import ReportingPeriod
from portal.limits import too_long
from portal.plans.service import clean_text
from portal.problems import DomainError
from portal.reports.report import ReportValue, UnitReport
from portal.reports.service import ReportError, require_editable
from portal.validation.checking import Figures, Judgement, Outcome, judge, lookup_in, parsed
from portal.validation.explanation import ViolationExplanation
from portal.validation.expressions import ExpressionError, parse, references
from portal.validation.rule import Importance, MissingValues, Operator, ValidationRule
from tenants.access import Reach
from tenants.membership import REVIEW_ROLES


class RuleError(DomainError):
    """A rule refused; ``problems`` maps a field name to its message."""


class UnexplainedViolation(ReportError):
    """A hand-over or submission refused: a high-importance rule broken, not explained."""


# ---- the owner's rules ---------------------------------------------------------------------


def rules_of(framework_id: int) -> list[ValidationRule]:
    return list(db.session.scalars(select(ValidationRule).where(
        ValidationRule.framework_id == framework_id)
        .order_by(ValidationRule.position, ValidationRule.id)))


def known_indicators(framework: Framework) -> dict[str, Indicator]:
    """The indicators a rule may name: those of the version in force and of the draft."""
    versions = select(FrameworkVersion.id).where(
        FrameworkVersion.framework_id == framework.id,
        FrameworkVersion.status.in_([VersionStatus.PUBLISHED.value, VersionStatus.DRAFT.value]))
    found: dict[str, Indicator] = {}
    for indicator in db.session.scalars(select(Indicator).where(
            Indicator.version_id.in_(versions)).order_by(Indicator.version_id)):
        found[indicator.code] = indicator    # the newest version's wins
    return found


RULE_FIELDS = ("name", "left", "operator", "right", "left_missing", "right_missing",
               "importance", "instruction")


def _read_rule(framework: Framework, data: Mapping[str, str]) -> dict[str, str]:
    """The rule's fields, checked; every problem by field, nothing half-read."""
    values = {name: (data.get(name) or "").strip() for name in RULE_FIELDS}
    problems = too_long({"name": (values["name"], 300), "left": (values["left"], 500),
                         "right": (values["right"], 500),
                         "instruction": (values["instruction"], limits.NOTE)})
    if not values["name"] and "name" not in problems:
        problems["name"] = _("Give the rule a name.")
    indicators = known_indicators(framework)
    for name in ("left", "right"):
        if name not in problems:
            message = _expression_problem(values[name], indicators)
            if message:
                problems[name] = message
    if values["operator"] not in {o.value for o in Operator}:
        problems["operator"] = _("Choose an operator.")
    for name in ("left_missing", "right_missing"):
        if values[name] not in {m.value for m in MissingValues}:
            problems[name] = _("Choose what to do when values are missing.")
    if values["importance"] not in {i.value for i in Importance}:
        problems["importance"] = _("Choose an importance.")
    if problems:
        raise RuleError(problems)
    values["name"] = clean_text(values["name"])
    values["instruction"] = clean_text(values["instruction"])
    return values


def _expression_problem(source: str, indicators: Mapping[str, Indicator]) -> str | None:
    """Why an expression cannot be a side of a rule of this framework, or None."""
    try:
        node = parse(source)
    except ExpressionError as exc:
        return str(exc)
    for ref in references(node):
        indicator = indicators.get(ref.code)
        if indicator is None:
            return _("The plan has no indicator with the code “%(code)s”.", code=ref.code)
        if indicator.kind == IndicatorKind.TEXT:
            return _("Indicator %(code)s is a text: it has no figure to check.", code=ref.code)
        if ref.part != "value" and indicator.kind != IndicatorKind.RATIO:
            return _("Indicator %(code)s is not a ratio: it has no numerator or denominator.",
                     code=ref.code)
    return None


def create_rule(framework: Framework, data: Mapping[str, str]) -> ValidationRule:
    values = _read_rule(framework, data)
    position = 1 + max((r.position for r in rules_of(framework.id)), default=0)
    rule = ValidationRule(framework_id=framework.id, owner_unit_id=framework.owner_unit_id,
                          position=position, **values)
    db.session.add(rule)
    db.session.flush()
    return rule


def update_rule(rule: ValidationRule, framework: Framework, data: Mapping[str, str]) -> None:
    for name, value in _read_rule(framework, data).items():
        setattr(rule, name, value)
    db.session.flush()


def delete_rule(rule: ValidationRule) -> None:
    db.session.delete(rule)
    db.session.flush()


def rule_of(framework: Framework, rule_id: int) -> ValidationRule | None:
    return db.session.scalar(select(ValidationRule).where(
        ValidationRule.id == rule_id, ValidationRule.framework_id == framework.id))


def rule_fields(rule: ValidationRule | None) -> dict[str, str]:
    """A rule as its form shows it (the defaults for a new one)."""
    if rule is None:
        return {"name": "", "left": "", "operator": Operator.LESS_OR_EQUAL.value, "right": "",
                "left_missing": MissingValues.SKIP_IF_ANY.value,
                "right_missing": MissingValues.SKIP_IF_ANY.value,
                "importance": Importance.MEDIUM.value, "instruction": ""}
    return {name: getattr(rule, name) for name in RULE_FIELDS}


# ---- one report ----------------------------------------------------------------------------


@dataclass
class Violation:
    """A rule a report breaks, with both sides and the values it reads."""

    rule: ValidationRule
    judgement: Judgement
    codes: list[str]                          # the indicators of this year it reads
    value_ids: list[int]                      # their rows in the report (the fields)
    explanation: ViolationExplanation | None = None

    @property
    def blocks(self) -> bool:
        """A high-importance violation with no explanation stops hand-over and submission."""
        return self.rule.importance == Importance.HIGH and not (
            self.explanation and self.explanation.text)


def figures_of(report_ids: Iterable[int] | object) -> dict[int, dict[str, tuple[Figures, int]]]:
    """Each report's figures by indicator code, with the value's row id."""
    out: dict[int, dict[str, tuple[Figures, int]]] = {}
    for report_id, code, kind, value, numerator, denominator, value_id in db.session.execute(
            select(ReportValue.report_id, Indicator.code, Indicator.kind, ReportValue.value,
                   ReportValue.numerator, ReportValue.denominator, ReportValue.id)
            .join(Indicator, Indicator.id == ReportValue.indicator_id)
            .where(ReportValue.report_id.in_(report_ids))).tuples():  # type: ignore[arg-type]  # a list or a subquery
        out.setdefault(report_id, {})[code] = (Figures(kind, value, numerator, denominator),
                                               value_id)
    return out


def previous_period(period: ReportingPeriod) -> ReportingPeriod | None:
    return db.session.scalar(select(ReportingPeriod).where(
        ReportingPeriod.framework_id == period.framework_id,
        ReportingPeriod.year == period.year - 1))


def violations_in(rules: list[ValidationRule], this: Mapping[str, tuple[Figures, int]],
                last: Mapping[str, tuple[Figures, int]]) -> list[Violation]:
    lookup = lookup_in({c: f for c, (f, _id) in this.items()},
                       {c: f for c, (f, _id) in last.items()})
    found = []
    for rule in rules:
        left, right = parsed(rule.left), parsed(rule.right)
        verdict = judge(left, rule.operator, right, rule.left_missing, rule.right_missing,
                        lookup)
        if verdict.outcome == Outcome.BROKEN:
            codes = list(dict.fromkeys(r.code for r in references(left) + references(right)
                                       if not r.last_year))
            found.append(Violation(rule, verdict, codes,
                                   [this[c][1] for c in codes if c in this]))
    return found


def report_violations(report: UnitReport) -> list[Violation]:
    """Every rule of the report's framework the report breaks now, with its explanation."""
    period = db.session.get_one(ReportingPeriod, report.period_id)
    rules = rules_of(period.framework_id)
    if not rules:
        return []
    before = previous_period(period)
    last_report = db.session.scalar(select(UnitReport.id).where(
        UnitReport.unit_id == report.unit_id, UnitReport.period_id == before.id)) \
        if before is not None else None
    figures = figures_of([report.id] + ([last_report] if last_report else []))
    found = violations_in(rules, figures.get(report.id, {}),
                        figures.get(last_report, {}) if last_report else {})
    explained = explanations_of(report)
    for violation in found:
        violation.explanation = explained.get(violation.rule.id)
    return found


def explanations_of(report: UnitReport) -> dict[int, ViolationExplanation]:
    """The unit's explanations, by rule."""
    return {e.rule_id: e for e in db.session.scalars(select(ViolationExplanation).where(
        ViolationExplanation.report_id == report.id))}


def by_value(violations: list[Violation]) -> dict[int, list[Violation]]:
    """The violations beside each value row of the report that they read."""
    out: dict[int, list[Violation]] = {}
    for violation in violations:
        for value_id in violation.value_ids:
            out.setdefault(value_id, []).append(violation)
    return out


def require_explained(report: UnitReport) -> None:
    """Refuse to hand over or submit a report that breaks a high-importance rule the unit
    has not explained (``RuleError`` naming each rule)."""
    blocking = [v for v in report_violations(report) if v.blocks]
    if blocking:
        raise UnexplainedViolation({"rules": " ".join(
            _("The report breaks the rule “%(rule)s” (high importance): correct the figures "
              "or write an explanation beside them.", rule=v.rule.name) for v in blocking)})


def save_explanation(report: UnitReport, rule: ValidationRule, text: str,
                     user_id: int | None) -> ViolationExplanation | None:
    """The unit's explanation of a rule its report breaks; an empty text removes it.

    Written only while the report is being written (the caller checks the writer)."""
    require_editable(report)
    period = db.session.get_one(ReportingPeriod, report.period_id)
    if rule.framework_id != period.framework_id:
        raise RuleError({"explanation": _("This rule is not one of the report's plan.")})
    problems = too_long({"explanation": (text, limits.NOTE)})
    if problems:
        raise RuleError(problems)
    text = clean_text(text)
    row = explanations_of(report).get(rule.id)
    if not text:
        if row is not None:
            db.session.delete(row)
            db.session.flush()
        return None
    if row is None:
        row = ViolationExplanation(report_id=report.id, unit_id=report.unit_id,
                                   rule_id=rule.id, text=text)
        db.session.add(row)
    row.text, row.user_id, row.at = text, user_id, clock.now()
    db.session.flush()
    return row


def may_run(reach: Reach, unit_id: int) -> bool:
    """Reviewers and consolidators of the unit or above run validation over its subtree."""
    return reach.holds_above(unit_id, REVIEW_ROLES)


def show_number(number: Decimal | None) -> str:
    """A side's value as the pages show it: "—" when it has none, at most 4 decimals."""
    if number is None:
        return "—"
    text = f"{number.quantize(Decimal('0.0001')).normalize():f}"
    whole, _dot, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{abs(int(whole)):,}".replace(",", ".")
    return sign + grouped + ("," + fraction if fraction else "")

