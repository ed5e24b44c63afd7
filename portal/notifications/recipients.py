"""Who is told about a unit's report: its own writers, or the level that reviews it.

Both run under the caller's scope; a request's scope may not see the memberships of the
level above (a drafter submitting), so callers outside a system scope enter one for the
lookup (portal.notifications.workflow). Only active accounts are returned.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import select

from portal.accounts.user import User
from portal.extensions import db
from tenants.membership import REVIEW_ROLES, WRITE_ROLES, Membership
from tenants.unit import Unit, UnitClosure


def members_of(unit_ids: Iterable[int], roles: Collection[str] = WRITE_ROLES
               ) -> dict[int, list[User]]:
    """The people holding one of ``roles`` (by default: the drafters and head) in each unit."""
    found: dict[int, dict[int, User]] = {}
    for unit_id, user in db.session.execute(
            select(Membership.unit_id, User).join(User, User.id == Membership.user_id)
            .where(Membership.unit_id.in_(list(unit_ids)), Membership.role.in_(list(roles)),
                   User.active.is_(True))
            .order_by(User.id)).tuples():
        found.setdefault(unit_id, {})[user.id] = user
    return {unit_id: list(users.values()) for unit_id, users in found.items()}


def reviewers_above(unit_ids: Iterable[int]) -> dict[Unit, tuple[list[User], list[int]]]:
    """For each unit, the nearest unit above it with reviewers: grouped by that unit.

    Reviewers and consolidators of a unit strictly above review it (portal.review); the
    nearest level that has any is the one told. Returns the reviewing unit → (its
    reviewers, the units of ``unit_ids`` it reviews).
    """
    rows = db.session.execute(
        select(UnitClosure.descendant_id, UnitClosure.depth, UnitClosure.ancestor_id, User)
        .join(Membership, Membership.unit_id == UnitClosure.ancestor_id)
        .join(User, User.id == Membership.user_id)
        .where(UnitClosure.descendant_id.in_(list(unit_ids)), UnitClosure.depth > 0,
               Membership.role.in_(REVIEW_ROLES), User.active.is_(True))
        .order_by(UnitClosure.descendant_id, UnitClosure.depth, User.id)).tuples().all()
    nearest: dict[int, int] = {}
    people: dict[int, dict[int, User]] = {}
    for unit_id, _depth, ancestor, user in rows:
        if nearest.setdefault(unit_id, ancestor) == ancestor:
            people.setdefault(ancestor, {})[user.id] = user
    below: dict[int, list[int]] = {}
    for unit_id, ancestor in nearest.items():
        below.setdefault(ancestor, []).append(unit_id)
    reviewing = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(below)))}
    return {reviewing[a]: (list(people[a].values()), sorted(ids)) for a, ids in below.items()}
