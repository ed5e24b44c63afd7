"""The health thresholds of a framework, as its owner sets them."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.numbers import NumberError, as_fraction, parse_number
from portal.problems import DomainError
from portal.progress.health import Thresholds


class ThresholdError(DomainError):
    """Thresholds refused; nothing is changed."""


def thresholds_of(framework: Framework) -> Thresholds:
    return Thresholds(on_track=Decimal(framework.health_on_track),
                      behind=Decimal(framework.health_behind))


def save_thresholds(framework: Framework, on_track: str, behind: str) -> None:
    """Set the thresholds from two percentages ("95", "85,5"); 0 < behind < on track ≤ 100."""
    problems: dict[str, str] = {}
    read: dict[str, Decimal] = {}
    for name, text, label in (("on_track", on_track, _("On track from")),
                              ("behind", behind, _("Behind from"))):
        if not (text or "").strip():
            problems[name] = _("%(label)s: give a percentage.", label=label)
            continue
        try:
            read[name] = as_fraction(parse_number(text), text)
        except NumberError as exc:
            problems[name] = f"{label}: {exc}"
    if not problems and not (Decimal(0) < read["behind"] < read["on_track"] <= Decimal(1)):
        problems["behind"] = _("The thresholds must satisfy: 0 < behind < on track ≤ 100 per cent.")
    if problems:
        raise ThresholdError(problems)
    framework.health_on_track = read["on_track"]
    framework.health_behind = read["behind"]
    db.session.flush()
