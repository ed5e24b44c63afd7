"""What other packages hear of the report loop, without the report package importing them.

The notifications (``portal.notifications``) read reports, so reports cannot import them
(the domain's packages stay acyclic, pyproject's import-linter contract). Instead the
composition root subscribes them here at start-up (``composition.app``), and the report
service announces every transition it records, inside the transition's unit of work.
"""

from __future__ import annotations

from collections.abc import Callable

from portal.reports.report import ReportTransition, UnitReport

TransitionListener = Callable[[ReportTransition], object]

_listeners: list[TransitionListener] = []


def on_transition(listener: TransitionListener) -> None:
    """Call ``listener(transition)`` for every transition recorded from now on (once)."""
    if listener not in _listeners:
        _listeners.append(listener)


def transition_recorded(transition: ReportTransition) -> None:
    """Tell the listeners; called by ``portal.reports.service`` after the flush."""
    for listener in _listeners:
        listener(transition)


# Checks a report must pass before it is handed over or submitted, from packages that read
# reports (the validation rules, ``portal.validation``): each raises a ``DomainError``.
SubmissionCheck = Callable[[UnitReport], object]

_checks: list[SubmissionCheck] = []


def on_submission(check: SubmissionCheck) -> None:
    """Run ``check(report)`` before every hand-over and submission from now on (once)."""
    if check not in _checks:
        _checks.append(check)


def check_before_submission(report: UnitReport) -> None:
    """Run the checks; called by ``portal.reports.service`` (the first refusal raises)."""
    for check in _checks:
        check(report)
