"""Accounts: creating users and memberships, signing in, API tokens.

Operations only flush; the caller commits once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from portal import clock
from portal.accounts.api_token import ApiToken
from portal.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from portal.accounts.reach import require_whole_account
from portal.accounts.user import EmailDelivery, User
from portal.extensions import db
from portal.problems import DomainError
from tenants.access import Reach
from tenants.membership import Membership, Role
from tenants.text import nfc
from tenants.unit import Unit

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")
TOKEN_PREFIX = "tcd_"  # noqa: S105 - a label in front of tokens, not a secret


class AccountError(DomainError):
    """An account or membership change refused."""


def normalize_username(username: str) -> str:
    return nfc(username).strip().lower()


def password_messages(password: str, username: str) -> list[str]:
    """The password policy's refusals, in the user's language."""
    texts = {
        "too_short": _("The password must be at least %(n)d characters long.", n=10),
        "contains_username": _("The password must not contain the user name."),
        "letters_and_digits": _("The password must mix letters with digits or symbols."),
    }
    return [texts[p] for p in password_problems(password, username)]


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == normalize_username(username)))


def create_user(username: str, password: str | None = None, *, full_name: str = "",
                email: str | None = None, platform_admin: bool = False) -> User:
    username = normalize_username(username)
    problems = []
    if not USERNAME_PATTERN.match(username):
        problems.append(_("User name %(name)s: use 3 to 80 lower-case letters, digits, dot, "
                          "dash or underscore, starting with a letter or digit.",
                          name=username[:80]))
    full_name = nfc(full_name)
    if len(full_name) > 160:
        problems.append(_("The full name is %(n)d characters long; at most %(max)d are allowed.",
                          n=len(full_name), max=160))
    if email is not None and (len(email) > 254 or "@" not in email):
        problems.append(_("%(email)s is not an e-mail address.", email=email[:60]))
    if password is not None:
        problems += password_messages(password, username)
    if not problems and find_user(username) is not None:
        problems.append(_("User name %(name)s is already taken.", name=username))
    if problems:
        raise AccountError(problems)
    user = User(username=username, full_name=full_name, email=email,
                password_hash=hash_password(password) if password else None,
                is_platform_admin=platform_admin, active=True, session_version=1)
    db.session.add(user)
    db.session.flush()
    return user


def grant(user: User, unit: Unit, role: str) -> Membership:
    """Give ``user`` ``role`` in ``unit`` (idempotent)."""
    try:
        role = Role(role)
    except ValueError:
        raise AccountError([_("Unknown role %(role)s; use one of: %(roles)s", role=role,
                              roles=", ".join(r.value for r in Role))]) from None
    existing = db.session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.unit_id == unit.id,
        Membership.role == role.value))
    if existing is not None:
        return existing
    membership = Membership(user_id=user.id, unit_id=unit.id, role=role.value)
    db.session.add(membership)
    db.session.flush()
    return membership


def revoke_membership(membership: Membership) -> None:
    """Take a role away (the deletion is audited in the membership's unit)."""
    db.session.delete(membership)
    db.session.flush()


def authenticate(username: str, password: str, *,
                 known_device_ids: Iterable[int] = ()) -> User | None:
    """The active, unlocked user with these credentials, or None (the same answer for every
    failure). Failed attempts are counted (the caller commits them too); after
    ``LOCKOUT_ATTEMPTS`` in a row the account is locked for ``LOCKOUT_MINUTES``, until
    then or until an administrator unlocks it.

    The lock stops strangers, not the account's own browsers: a browser the account signed
    in from before (``known_device_ids``, from a signed cookie) is not held by it, so
    nobody can keep an account's owner out by typing wrong passwords for it. Those
    browsers, like every address, stay bound by the sign-in rate limits (per address, and
    per account and address), which the lock does not replace."""
    from flask import current_app

    user = find_user(username)
    if user is None or not user.active:
        # Spend the same time as a real check so user names cannot be probed by timing.
        verify_password(_dummy_hash(), password)
        return None
    now = clock.now()
    held = user.locked_until is not None and _aware(user.locked_until) > now
    locked = held and user.id not in set(known_device_ids)
    if not verify_password(user.password_hash, password) or locked:
        if not locked:
            user.failed_logins += 1
            if user.failed_logins >= current_app.config["LOCKOUT_ATTEMPTS"]:
                user.locked_until = now + timedelta(
                    minutes=current_app.config["LOCKOUT_MINUTES"])
                user.failed_logins = 0
        return None
    if needs_rehash(user.password_hash):  # type: ignore[arg-type]  # verified: it has one
        user.password_hash = hash_password(password)
    if not held:   # the owner signing in from their own browser keeps strangers locked
        user.failed_logins, user.locked_until = 0, None
    user.last_login_at = now
    return user


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite keeps UTC


_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    from flask import current_app

    profile = current_app.config.get("PASSWORD_HASH_PROFILE", "default")
    if profile not in _DUMMY:
        _DUMMY[profile] = hash_password("not-a-real-password-0")
    return _DUMMY[profile]


def change_password(user: User, current: str, new: str) -> dict[str, list[str]]:
    """Problems that stop the change by field, ``current`` or ``new`` (empty when done);
    signs out other sessions."""
    if not verify_password(user.password_hash, current):
        return {"current": [_("The current password is not correct.")]}
    problems = password_messages(new, user.username)
    if current == new:
        problems.append(_("The new password must differ from the current one."))
    if problems:
        return {"new": problems}
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_version += 1
    return {}


def sign_out_everywhere(user: User) -> None:
    """End every session of the account, on the server: the session cookies and the
    remember-me cookies issued so far carry the old session version (``User.get_id``), so
    the loader refuses them from now on, in any browser."""
    user.session_version += 1


def set_password(user: User, new: str) -> None:
    """Set a password without the old one (command line, administrators): every session
    ends and the account's API tokens stop working, as after ``reset_password``."""
    problems = password_messages(new, user.username)
    if problems:
        raise AccountError(problems)
    user.password_hash = hash_password(new)
    user.session_version += 1
    revoke_tokens(user)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> str:
    """A new API token for ``user``; only its hash is kept, so it is shown once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_digest(token),
                            hint=token[:len(TOKEN_PREFIX) + 6]))
    db.session.flush()
    return token


def user_for_token(token: str) -> User | None:
    """The active owner of a valid, unrevoked token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    row.last_used_at = clock.now()
    return row.user


def revoke_tokens(user: User, hint: str | None = None) -> int:
    """Revoke the user's tokens starting with ``hint`` (all when None); how many."""
    rows = db.session.scalars(select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    count = 0
    for row in rows:
        if hint is None or row.hint.startswith(hint) or hint.startswith(row.hint):
            row.revoked_at = clock.now()
            count += 1
    return count


def temporary_password(user: User) -> str:
    """A new temporary password for an account just created (returned once, to be handed
    over); the person must change it when signing in."""
    temporary = "Tm-" + secrets.token_urlsafe(9)
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.session_version += 1
    return temporary


def reset_password(user: User, *, by: Reach) -> str:
    """An administrator's reset: a new temporary password, returned once to be handed over;
    the person must change it when signing in, every session they had ends and their API
    tokens stop working (whoever knew the old password may have made one). Needs reach
    over every unit the account is in."""
    require_whole_account(by, [user])
    revoke_tokens(user)
    return temporary_password(user)


def set_active(user: User, active: bool, *, by: Reach) -> None:
    """Deactivate (accounts are never deleted: their history stays) or reactivate; a
    deactivated account is signed out everywhere and its API tokens stop working. Needs
    reach over every unit the account is in."""
    require_whole_account(by, [user])
    if user.active == active:
        return
    user.active = active
    user.session_version += 1
    if not active:
        revoke_tokens(user)


def unlock(user: User, *, by: Reach) -> None:
    """An administrator releases a locked account (needs reach over all its units)."""
    require_whole_account(by, [user])
    user.failed_logins, user.locked_until = 0, None


def update_account(user: User, *, by: Reach, full_name: str, email: str | None) -> None:
    """An administrator changes the account's name and e-mail address (needs reach over
    every unit the account is in: the address is where its reminders go)."""
    require_whole_account(by, [user])
    full_name = nfc(full_name or "").strip()
    email = (email or "").strip() or None
    problems = []
    if len(full_name) > 160:
        problems.append(_("The full name is %(n)d characters long; at most %(max)d are allowed.",
                          n=len(full_name), max=160))
    if email is not None and (len(email) > 254 or "@" not in email):
        problems.append(_("%(email)s is not an e-mail address.", email=email[:60]))
    if problems:
        raise AccountError(problems)
    user.full_name, user.email = full_name, email


def set_email_delivery(user: User, choice: str) -> None:
    """How the person's notices reach them by e-mail (``EmailDelivery``); theirs to choose."""
    if choice not in {d.value for d in EmailDelivery}:
        raise AccountError({"email_delivery": _(
            "Choose how e-mails reach you: each notice at once, one digest a day, or none.")})
    user.email_delivery = choice
    db.session.flush()
