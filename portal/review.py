"""Who reviews a unit's plan and report: one rule for the pages and the API."""

from __future__ import annotations

from tenants.access import Reach
from tenants.membership import REVIEW_ROLES


def reviews(reach: Reach, unit_id: int) -> bool:
    """Does the caller hold a reviewing role in the unit or a unit above it?"""
    return reach.holds_above(unit_id, REVIEW_ROLES)
