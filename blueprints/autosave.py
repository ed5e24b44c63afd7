"""Autosave for every form that saves as you type (plans and reports): one helper, one
set of partials (``templates/partials/autosave_*.html``), one script
(``portal/static/js/autosave.js``: marks the fields in error, asks before leaving unsaved
changes).

A save runs inside ``unit_of_work()``. The answer is a small fragment that replaces the
content of the form's one live region (``#status-<target>``, ``role="status"``), with the
new version and each field's message out of band:

- 200: saved. The valid fields are stored; each field the save could not keep
  (``Saved.problems``) has its message beside it and keeps, in the page, the text as typed
  ("Saved, except 1 field with an error").
- 422: refused as a whole (the report is locked, the plan is no longer a draft): nothing
  saved, the problems by field.
- 409: someone saved since the page was loaded: what they saved beside what the caller
  typed, under the caller's labels — nothing overwritten.

Every element the answer sends out of band has its slot in the page: ``fields`` names
exactly the fields the form has (each with its ``error-<target>-<field>`` slot), and
every form has the slot of its general message, ``error-<target>-``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from flask import render_template, request
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.plans.service import StaleEdit
from portal.problems import DomainError
from portal.unit_of_work import unit_of_work


@dataclass
class Saved:
    """What a save did: the version now stored; the fields it could not save, with why
    (the others were saved); how it read a number whose text allowed two readings."""

    version: int | None
    problems: Mapping[str, str] = field(default_factory=dict)
    readings: Mapping[str, str] = field(default_factory=dict)


def status(target: str, code: int, *, fields: Sequence[str], errors: Mapping[str, str],
           version: int | None, readings: Mapping[str, str] | None = None,
           saved: bool = False) -> tuple[str, int]:
    """The answer to an autosave form (``target``): its status line, its version and the
    message of each of its ``fields``; a problem of a field the form does not show goes
    into the form's general message. ``saved``: the valid fields were stored."""
    errors = {name: text for name, text in errors.items() if text}
    general = [text for name, text in errors.items() if name not in fields]
    return render_template("partials/autosave_status.html", now=clock.now(),
                           target=target, errors=errors, fields=fields, saved=saved,
                           refused=sum(1 for name in errors if name in fields),
                           general=" ".join(general), version=version,
                           readings=readings or {}), code


def autosave(target: str, fields: Sequence[str], save: Callable[[], Saved | int | None], *,
             current: Callable[[], tuple[dict[str, str], int]], mine: Mapping[str, str],
             labels: Mapping[str, str], reload_url: str,
             readings: Mapping[str, str] | None = None) -> tuple[str, int]:
    """Run ``save`` and answer the autosave form.

    ``save`` returns a ``Saved`` (or just the new version, or None, when it saves all or
    nothing). ``current`` reads what is stored now (after a lost race, which the database
    tells as ``StaleDataError``); ``mine`` is what the caller sent; ``labels`` name the
    fields in the conflict table; "Keep mine" posts the form again to the same address.
    ``readings`` (older callers) is filled by ``save`` like ``Saved.readings``.
    """
    try:
        with unit_of_work():
            result = save()
    except (StaleEdit, StaleDataError) as error:
        stale = error if isinstance(error, StaleEdit) else StaleEdit(*current())
        return render_template("partials/autosave_conflict.html", now=clock.now(),
                               target=target, stale=stale, mine=mine, labels=labels,
                               reload_url=reload_url, action=request.path), 409
    except DomainError as exc:
        return status(target, 422, fields=fields, errors=exc.problems, version=None)
    saved = result if isinstance(result, Saved) else Saved(result)
    return status(target, 200, fields=fields, errors=saved.problems, version=saved.version,
                  readings={**(readings or {}), **saved.readings}, saved=True)
