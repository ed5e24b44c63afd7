"""How a request says who it is: a session cookie (pages) or a bearer token (API)."""

from __future__ import annotations

from flask import Request, has_request_context, request

from portal.accounts.service import user_for_token
from portal.accounts.user import User
from portal.extensions import db


def load_user_from_session(user_id: str) -> User | None:
    """Flask-Login's user loader; the id carries the session version (see User.get_id).

    The API ignores session cookies: it is exempt from CSRF, so only a bearer token,
    which a browser never sends by itself, may authenticate there.
    """
    if has_request_context() and request.path.startswith("/api/"):
        return None
    try:
        raw_id, raw_version = user_id.split(":", 1)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def load_user_from_request(req: Request) -> User | None:
    """Bearer tokens, accepted on the API only."""
    if not req.path.startswith("/api/"):
        return None
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return user_for_token(token.strip())
