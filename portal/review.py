"""Who reviews a unit's plan and report: the level that receives it (PRODUCT.md § Roles).

A reviewer or consolidator of a unit *above* the unit reviews it — DOST for departments
and districts, the district for its communes. A role held in the unit itself never
reviews that unit's own work: a district's reviewer does not accept, return, reopen or
comment on the district's own report or plan. Platform operators act everywhere.
"""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from tenants.access import Reach
from tenants.membership import REVIEW_ROLES
from tenants.unit import UnitClosure


def reviews(reach: Reach, unit_id: int) -> bool:
    """Does the caller hold a reviewing role in a unit strictly above ``unit_id``?"""
    if reach.platform_admin:
        return True
    above = [u for u, roles in reach.roles.items() if roles & REVIEW_ROLES and u != unit_id]
    if not above:
        return False
    return db.session.scalar(
        select(UnitClosure.ancestor_id)
        .where(UnitClosure.descendant_id == unit_id, UnitClosure.ancestor_id.in_(above),
               UnitClosure.depth > 0)
        .limit(1)) is not None
