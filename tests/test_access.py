"""Access rules: what each role reads and writes, from the memberships."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.service import find_user
from portal.extensions import db
from tenants.access import reach_of
from tenants.scoping import system_scope
from tenants.unit import Unit


@pytest.mark.parametrize(("role", "reads_below", "writes", "manages"), [
    ("drafter", False, True, False),
    ("head", False, True, False),
    ("reviewer", True, False, False),
    ("consolidator", True, False, False),
    ("leader", True, False, False),
    ("admin", True, False, True),
])
def test_role_semantics(world, role, reads_below, writes, manages) -> None:
    with system_scope("test"):
        user = find_user(world.usernames[role])
        reach = reach_of(user.id, user.is_platform_admin)
        units = {u.code: u for u in db.session.scalars(select(Unit))}
        d1, c11, d2 = units["D1"], units["C11"], units["D2"]
        assert reach.reads_subtree_of(d1.id) is reads_below
        assert reach.reads_subtree_of(c11.id) is reads_below
        assert reach.reads_subtree_of(d2.id) is False
        assert reach.can_write(d1.id) is writes
        assert reach.can_write(c11.id) is False  # write access is never inherited
        assert reach.manages(c11.id) is manages
        assert reach.manages(d2.id) is False
    scope = reach.scope
    if reads_below:
        assert scope.subtree_roots == {world.unit_ids["D1"]} and not scope.units
    else:
        assert scope.units == {world.unit_ids["D1"]} and not scope.subtree_roots


def test_platform_operator_reaches_everything(world) -> None:
    with system_scope("test"):
        user = find_user("u.platform")
        reach = reach_of(user.id, user.is_platform_admin)
        other = db.session.scalar(select(Unit).where(Unit.code == "QC"))
        assert reach.scope.everything
        assert reach.reads_subtree_of(other.id) and reach.manages(other.id)
