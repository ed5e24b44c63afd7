"""Who may see and do what: a principal's reach, from their memberships.

Read access to a unit's whole subtree comes with the reviewer, consolidator,
leader and admin roles; drafters and heads see their own unit only; write access
is never inherited. Platform operators see everything (an audited system scope).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TypeVar

from flask import abort
from sqlalchemy import select

from portal.extensions import db
from tenants.membership import (
    FRAMEWORK_OWNER_ROLES,
    SUBTREE_READ_ROLES,
    WRITE_ROLES,
    Membership,
    Role,
)
from tenants.scoping import Scope, system_scope
from tenants.unit import Unit, UnitClosure

_Row = TypeVar("_Row")


@dataclass(frozen=True)
class Reach:
    """The units a principal holds roles in, and so what they may see and change."""

    user_id: int | None = None
    platform_admin: bool = False
    roles: dict[int, frozenset[Role]] = field(default_factory=dict)

    @property
    def scope(self) -> Scope:
        if self.platform_admin:
            return Scope(everything=True, reason="platform operator")
        roots = frozenset(u for u, rs in self.roles.items() if rs & SUBTREE_READ_ROLES)
        return Scope(subtree_roots=roots, units=frozenset(self.roles) - roots)

    # Checks take unit ids: a framework's owner, say, may lie above the caller's reach.

    def roles_in(self, unit_id: int) -> frozenset[Role]:
        return self.roles.get(unit_id, frozenset())

    def can_write(self, unit_id: int) -> bool:
        """Write access: only on one's own unit, as drafter or head."""
        return bool(self.roles_in(unit_id) & WRITE_ROLES)

    def holds_above(self, unit_id: int, roles: frozenset[Role]) -> bool:
        """Holds one of ``roles`` in the unit or a unit above it (or is an operator)."""
        return self.platform_admin or _within_any(
            unit_id, [u for u, rs in self.roles.items() if rs & roles])

    def reads_subtree_of(self, unit_id: int) -> bool:
        """True if the principal sees everything below the unit (leaders, reviewers…)."""
        return self.holds_above(unit_id, SUBTREE_READ_ROLES)

    def manages(self, unit_id: int) -> bool:
        """Tenant admin of the unit or an ancestor, or a platform operator."""
        return self.holds_above(unit_id, frozenset({Role.ADMIN}))

    def owns_frameworks_of(self, unit_id: int) -> bool:
        """May upload, correct and publish the frameworks the unit owns: its consolidators
        (DOST staff) and administrators, above or at it."""
        return self.holds_above(unit_id, FRAMEWORK_OWNER_ROLES)


def _within_any(unit_id: int, roots: list[int]) -> bool:
    """Is the unit one of ``roots`` or below one of them?"""
    if not roots:
        return False
    return db.session.scalar(
        select(UnitClosure.ancestor_id)
        .where(UnitClosure.descendant_id == unit_id, UnitClosure.ancestor_id.in_(roots))
        .limit(1)) is not None


ANONYMOUS = Reach()


def reach_of(user_id: int, platform_admin: bool) -> Reach:
    """Load a user's memberships; the one cross-tenant read every request needs."""
    with system_scope("resolve the caller's memberships"):
        rows = db.session.execute(
            select(Membership.unit_id, Membership.role).where(Membership.user_id == user_id)
        ).all()
    roles: dict[int, set[Role]] = defaultdict(set)
    for unit_id, role in rows:
        roles[unit_id].add(Role(role))
    return Reach(user_id=user_id, platform_admin=platform_admin,
                 roles={u: frozenset(rs) for u, rs in roles.items()})


def unit_or_404(code: str) -> Unit:
    """The unit with ``code`` if the current scope may see it; 404 otherwise.

    The lookup itself goes through the ORM guard and row-level security, so a unit
    outside the caller's reach is simply not found.
    """
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        abort(404)
    return unit


def visible_or_404(model: type[_Row], row_id: int) -> _Row:
    """The row of ``model`` with this id if the current scope may see it; 404 otherwise."""
    row = db.session.scalar(select(model).where(model.id == row_id))  # type: ignore[attr-defined]  # every model given has an id
    if row is None:
        abort(404)
    return row
