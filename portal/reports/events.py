"""What other packages hear of the report loop, without the report package importing them.

The notifications (``portal.notifications``) read reports, so reports cannot import them
(the domain's packages stay acyclic, pyproject's import-linter contract). Instead the
composition root subscribes them here at start-up (``composition.app``), and the report
service announces every transition it records, inside the transition's unit of work.
"""

from __future__ import annotations

from collections.abc import Callable

from portal.reports.report import ReportTransition

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
