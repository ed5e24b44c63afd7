"""Autosave for every form that saves as you type (plans and reports): one helper, one
set of partials (``templates/partials/autosave_*.html``).

A save runs inside ``unit_of_work()``. The answer is a small fragment: the status line
with the new version and each field's message (out of band), 200; every problem of a
refusal by field, 422; or, if someone saved since the page was loaded, what they saved
beside what the caller typed, under the caller's labels, 409 — nothing overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from flask import render_template, request
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.plans.service import StaleEdit
from portal.problems import DomainError
from portal.unit_of_work import unit_of_work


def status(target: str, code: int, *, fields: Sequence[str], errors: Mapping[str, str],
           version: int | None, readings: Mapping[str, str] | None = None) -> tuple[str, int]:
    """The status line of an autosave form (``target``), its version and field messages,
    and how a number whose text allowed two readings was read (``readings``, by field)."""
    return render_template("partials/autosave_status.html", now=clock.now(),
                           target=target, errors=errors, fields=fields,
                           version=version, readings=readings or {}), code


def autosave(target: str, fields: Sequence[str], save: Callable[[], int | None], *,
             current: Callable[[], tuple[dict[str, str], int]], mine: Mapping[str, str],
             labels: Mapping[str, str], reload_url: str,
             readings: Mapping[str, str] | None = None) -> tuple[str, int]:
    """Run ``save`` (returns the new version, or None) and answer the autosave form.

    ``current`` reads what is stored now (after a lost race, which the database tells
    as ``StaleDataError``); ``mine`` is what the caller sent; ``labels`` name the fields
    in the conflict table; "Keep mine" posts the form again to the same address.
    ``readings`` is filled by ``save`` with how it read an ambiguous number, said back.
    """
    try:
        with unit_of_work():
            version = save()
    except (StaleEdit, StaleDataError) as error:
        stale = error if isinstance(error, StaleEdit) else StaleEdit(*current())
        return render_template("partials/autosave_conflict.html", now=clock.now(),
                               target=target, stale=stale, mine=mine, labels=labels,
                               reload_url=reload_url, action=request.path), 409
    except DomainError as exc:
        return status(target, 422, fields=fields, errors=exc.problems, version=None)
    return status(target, 200, fields=fields, errors={}, version=version, readings=readings)
