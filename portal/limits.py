"""How long each text people type may be — one table for pages and API alike.

A 19 MB narrative was once accepted and made every page showing the report weigh 20 MB.
Each domain function that saves text calls ``check_lengths`` once, before it changes
anything: a text over its maximum is a field problem of that function's refusal
(``ReportError``, ``PlanError``, ``FrameworkError``), so the page shows it beside the
field and the API answers 422 with it under ``fields``. Lengths are counted in
characters (after NFC), as people count them. The maxima are documented in
docs/reports.md and docs/plans.md.

Generous on purpose: the longest real passages (a province's yearly results, a task of
Plan 108 with its outputs) are a few thousand characters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask_babel import gettext as _

from portal.problems import DomainError

NARRATIVE = 50_000     # a report's narrative section; a plan's section (purpose, …)
LONG_TEXT = 20_000     # an indicator's text answer, a task's content, outputs or result,
                       # a framework item's text
NOTE = 4_000           # a note beside a value, a reason (returned, reopened, not applicable),
                       # a comment, the recipients of a plan
TITLE = 1_000          # a title: a plan's, a framework item's, the framework's header
NAME = 300             # a name: a framework, an issuing body (a unit's: 255, tenants.tree)
SHORT = 200            # the office in charge, a funding source, a signer, a label
CODE = 60              # a document number, a unit of measure
PLACE = 100            # a place name in a document's date line

MAXIMA = {"narrative": NARRATIVE, "long_text": LONG_TEXT, "note": NOTE, "title": TITLE,
          "name": NAME, "short": SHORT, "code": CODE, "place": PLACE}


def _grouped(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def too_long(fields: Mapping[str, tuple[str | None, int]]) -> dict[str, str]:
    """field -> problem, for each (text, maximum) whose text is longer than its maximum."""
    return {name: _("At most %(max)s characters; this text has %(n)s. Shorten it, or put "
                    "the details in an attached file.", max=_grouped(limit),
                    n=_grouped(len(text)))
            for name, (text, limit) in fields.items() if text and len(text) > limit}


def check_lengths(error: Callable[[dict[str, str]], DomainError],
                  **fields: tuple[str | None, int]) -> None:
    """Raise ``error(problems)`` if any text is over its maximum; nothing is changed."""
    problems = too_long(fields)
    if problems:
        raise error(problems)
