"""The live aggregate as the API gives it (``GET /api/v1/units/{code}/aggregates``): the
figures of ``portal.reports.aggregate`` and, beside the totals, the reporting rate and
timeliness of each reporting obligation (``portal.reports.obligations``) — who reports to
whom, by which due date, expected / submitted / on time — for the subtree and for each
child of the root.

The per-obligation figures are ``LiveAggregate.by_obligation``, the ones the dashboard
shows: one computation (``compute``) for both. The keys of the totals are those of
``LiveAggregate.as_dict``, unchanged; ``obligations`` is added beside them.
"""

from __future__ import annotations

from portal.frameworks.framework import Framework
from portal.frameworks.period import ReportingPeriod
from portal.reports.aggregate import LiveAggregate, aggregate, compute
from portal.reports.obligations import Terms, obligations_of
from tenants.tree import unit_labels
from tenants.unit import Unit


def _obligation(terms: Terms, figures: dict, period: ReportingPeriod,
                receivers: dict[int, tuple[str, str]]) -> dict:
    receiver = receivers.get(terms.receiver_unit_id) if terms.receiver_unit_id else None
    return {"obligation": terms.obligation_id, "name": terms.name,
            "reporters": sorted(terms.kinds),
            "receiver": receiver[0] if receiver else None,
            "receiver_name": receiver[1] if receiver else None,
            "due_date": terms.due_for(period).isoformat(), **figures}


def by_obligation(live: LiveAggregate, period: ReportingPeriod,
                  receivers: dict[int, tuple[str, str]], group: int | None = None
                  ) -> list[dict]:
    """Each obligation's reporting figures for the period's year, over the subtree
    (``group`` None) or one child of the root, in the API's shape."""
    return [_obligation(terms, figures, period, receivers)
            for terms, figures in live.by_obligation(period.year, group)]


def aggregate_document(root: Unit, framework: Framework, period: ReportingPeriod, *,
                       as_now: bool = True) -> dict:
    """The live aggregate of ``root``'s subtree for ``period`` (a period of
    ``framework``), with the reporting of each obligation."""
    # the receiving units' codes and names first (public labels), as the dashboard does
    receivers = unit_labels(o.receiver_unit_id for o in obligations_of(framework.id))
    live = compute(root, framework, [period.year], as_now=as_now)
    if live is None or period.year not in live.years:
        # nothing to compute: the empty aggregate (a few statements, no figures)
        return {**aggregate(root, framework, period.year, as_now=as_now), "obligations": []}
    document = live.as_dict(period.year)
    document["obligations"] = by_obligation(live, period, receivers)
    # as_dict lists the children in the order of live.children
    for child, (child_id, _code) in zip(document["children"], live.children, strict=True):
        child["obligations"] = by_obligation(live, period, receivers, child_id)
    return document
