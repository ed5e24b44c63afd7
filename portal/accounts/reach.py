"""Who may change an account as a whole.

An account is global: one person may hold roles in several units, even in several
provinces. A tenant administrator sees (and may manage the memberships of) every account
holding a role somewhere in their subtree, but an action on the account as a whole — a
password reset, deactivation or reactivation, unlocking, a new e-mail address or name —
acts in every unit the account belongs to. So it needs reach over every one of them:
the administrator must administer each unit the account holds a role in (at it or above
it). Otherwise they may only add or remove the account's memberships inside their own
subtree. Platform operators reach everything; an operator's own account is beyond every
tenant administrator.

The account's memberships are read across tenants (the caller's scope hides the ones
outside it, which are exactly the ones that matter here).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import Select, select

from portal.accounts.user import User
from portal.extensions import db
from portal.problems import DomainError
from tenants.access import Reach
from tenants.membership import Membership, Role
from tenants.scoping import system_scope
from tenants.unit import Unit, UnitClosure


class BeyondReach(DomainError):
    """An account-wide change of an account holding roles the caller does not administer."""


def _administered(reach: Reach) -> Select[tuple[int]]:
    roots = sorted(u for u, roles in reach.roles.items() if Role.ADMIN in roles)
    return select(UnitClosure.descendant_id).where(UnitClosure.ancestor_id.in_(roots))


def accounts_beyond(reach: Reach, user_ids: Iterable[int] | None = None) -> dict[int, list[str]]:
    """The accounts (of ``user_ids``, or every account holding a role in a unit ``reach``
    administers) that also hold a role in a unit ``reach`` does not administer, each with
    the codes of those units. One cross-tenant read."""
    if reach.platform_admin:
        return {}
    administered = _administered(reach)
    if user_ids is None:
        wanted = select(Membership.user_id).where(Membership.unit_id.in_(administered))
    else:
        wanted = sorted(set(user_ids))
        if not wanted:
            return {}
    with system_scope("the units of accounts, to check an account-wide change"):
        rows = db.session.execute(
            select(Membership.user_id, Unit.code)
            .join(Unit, Unit.id == Membership.unit_id)
            .where(Membership.user_id.in_(wanted), Membership.unit_id.not_in(administered))
            .distinct().order_by(Membership.user_id, Unit.code)).all()
        operators = set(db.session.scalars(select(User.id).where(
            User.id.in_(wanted), User.is_platform_admin)))
    beyond: dict[int, list[str]] = defaultdict(list)
    for user_id, code in rows:
        beyond[user_id].append(code)
    for user_id in operators:
        beyond[user_id].insert(0, _("the platform"))
    return dict(beyond)


def require_whole_account(reach: Reach, users: Iterable[User]) -> None:
    """Refuse (every account named) unless ``reach`` administers every unit each account
    holds a role in."""
    users = list(users)
    beyond = accounts_beyond(reach, [u.id for u in users])
    problems = {
        # the units are counted, not named: they are outside the caller's reach
        user.username: _("%(user)s also holds roles in %(count)d units you do not "
                         "administer: its password, e-mail, name and whether it is active "
                         "or locked are changed by an administrator of all its units or a "
                         "platform operator; here you may change its roles in your units.",
                         user=user.username, count=len(beyond[user.id]))
        for user in users if user.id in beyond}
    if problems:
        raise BeyondReach(problems)

