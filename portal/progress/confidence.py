"""The confidence rating a unit gives a task of its report that is not done yet: five
levels, as the UK Infrastructure and Projects Authority rates delivery confidence, each
defined in words (shown as a hint where the rating is chosen)."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class Confidence(enum.StrEnum):
    GREEN = "green"
    AMBER_GREEN = "amber_green"
    AMBER = "amber"
    AMBER_RED = "amber_red"
    RED = "red"


LEVELS = tuple(c.value for c in Confidence)

# The task statuses a rating applies to: not done yet (within or past the deadline).
RATED_STATUSES = ("in_progress", "overdue")

CONFIDENCE_LABELS = {Confidence.GREEN: _l("Green"), Confidence.AMBER_GREEN: _l("Amber-green"),
                     Confidence.AMBER: _l("Amber"), Confidence.AMBER_RED: _l("Amber-red"),
                     Confidence.RED: _l("Red")}
CONFIDENCE_MISSING = _l("Not rated")

CONFIDENCE_DEFINITIONS = {
    Confidence.GREEN: _l("It will be done on time and as planned; no major issue stands in "
                         "the way."),
    Confidence.AMBER_GREEN: _l("Likely to be done on time; there are issues, but the unit "
                               "can resolve them itself."),
    Confidence.AMBER: _l("Doable, but real issues need attention now (resources, another "
                         "body's part) or the deadline will slip."),
    Confidence.AMBER_RED: _l("In doubt: major issues in several areas; it needs the level "
                             "above's attention and a change of plan."),
    Confidence.RED: _l("Not achievable as planned: the deadline or the content must change, "
                       "or the task be given up."),
}


def rated(status: str | None, confidence: str | None) -> str | None:
    """The rating kept for a task: only for a task not done yet, else none."""
    return confidence if confidence and status in RATED_STATUSES else None
