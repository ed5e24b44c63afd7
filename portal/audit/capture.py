"""Writes the audit log from the ORM: every insert, change and delete of an audited model,
with the values before and after, in the same transaction as the change itself.

Models opt in by their table name in ``AUDITED``. Secrets (password and token hashes) are
recorded as changed, never by value. Bulk Core statements (benchmarks, migrations) are
not seen, by design: they are not user actions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import g, has_request_context
from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from portal import clock
from tenants.scoping import system_scope_in_flush

log = logging.getLogger(__name__)

# Tables whose changes are audited, and the columns left out of before/after.
AUDITED: dict[str, frozenset[str]] = {
    "unit": frozenset({"search_name"}),
    "user_account": frozenset({"last_login_at", "session_version"}),
    "membership": frozenset(),
    "unit_lineage": frozenset(),
    "reorganization": frozenset({"summary"}),
    "api_token": frozenset({"last_used_at"}),
    "framework": frozenset(),
    "framework_version": frozenset({"warnings"}),
    "indicator": frozenset(),
    "indicator_target": frozenset(),
    "reporting_period": frozenset(),
    "responsibility": frozenset(),
    "unit_plan": frozenset(),
    "plan_revision": frozenset({"section_versions"}),
    "plan_task": frozenset(),
    "plan_target": frozenset(),
    "plan_transition": frozenset(),
    "unit_report": frozenset({"section_versions"}),
    "report_value": frozenset(),
    "report_task": frozenset(),
    "report_transition": frozenset(),
    "report_evidence": frozenset({"storage_key"}),
    "consolidation": frozenset({"result", "inputs", "progress", "step"}),
    "outlier_rule": frozenset(),
    "value_follow_up": frozenset(),
    "value_comment": frozenset(),
    "document_record": frozenset({"progress", "layout", "job_id"}),
    "signing_image": frozenset({"data"}),
}
SECRETS = frozenset({"password_hash", "token_hash"})
ALWAYS_LEFT_OUT = frozenset({"version", "created_at"})

_actor: ContextVar[str | None] = ContextVar("audit_actor", default=None)


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Name who acts outside a web request (a command, a job): "system: flask units import"."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def _who() -> tuple[int | None, str]:
    if has_request_context():
        from flask_login import current_user

        user = current_user._get_current_object() if current_user else None
        if user is not None and getattr(user, "is_authenticated", False):
            return user.id, user.username
    return None, _actor.get() or "system"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def _columns(obj: object) -> list[str]:
    table = obj.__table__.name  # type: ignore[attr-defined]  # an audited model
    skip = AUDITED[table] | ALWAYS_LEFT_OUT
    return [c.key for c in inspect(obj, raiseerr=True).mapper.column_attrs if c.key not in skip]


def _values(obj: object) -> dict[str, Any]:
    state = inspect(obj, raiseerr=True)
    out = {}
    for key in _columns(obj):
        if key in state.unloaded:
            continue
        value = getattr(obj, key)
        out[key] = "***" if key in SECRETS and value else _plain(value)
    return out


def _changes(obj: object) -> tuple[dict, dict]:
    state = inspect(obj, raiseerr=True)
    before, after = {}, {}
    for key in _columns(obj):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        if key in SECRETS:
            before[key], after[key] = "***", "*** (changed)"
        else:
            before[key], after[key] = _plain(old), _plain(new)
    return before, after


def _units_of(session: Session, obj: object) -> list[int | None]:
    """The units whose audit log shows the change: the object's unit; for an account (and
    its API tokens), every unit it holds a role in (an account-wide change acts in all of
    them, so each one's log shows it, whatever part of them the person making it could
    see)."""
    table = obj.__table__.name  # type: ignore[attr-defined]  # an audited model
    if table == "unit":
        return [obj.id]  # type: ignore[attr-defined]  # a Unit
    if table in ("user_account", "api_token"):     # an account, or one of its tokens
        from tenants.membership import Membership

        account = obj.id if table == "user_account" else obj.user_id  # type: ignore[attr-defined]  # a User or an ApiToken
        memberships = Membership.__table__
        with system_scope_in_flush("the units of an account, for its audit entries"):
            units: list[int | None] = sorted(set(session.connection().execute(
                select(memberships.c.unit_id).where(
                    memberships.c.user_id == account)).scalars()))
        return units or [None]
    for column in ("unit_id", "owner_unit_id"):
        if hasattr(obj, column):
            return [getattr(obj, column)]
    return [None]


def _label(obj: object) -> str:
    for attribute in ("code", "username", "name", "title", "doc_number", "role", "action"):
        value = getattr(obj, attribute, None)
        if isinstance(value, str) and value:
            return value[:300]
    return ""


def _audited(obj: object) -> bool:
    table = getattr(obj, "__table__", None)
    return table is not None and table.name in AUDITED


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _context: object, _instances: object) -> None:
    pending = session.info.setdefault("audit_pending", [])
    for obj in session.new:
        if _audited(obj):
            pending.append(("create", obj, None))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj)
            if before or after:
                pending.append(("update", obj, (before, after)))
    for obj in session.deleted:
        if _audited(obj):
            pending.append(("delete", obj, (_values(obj), None)))


@event.listens_for(Session, "after_flush")
def _write(session: Session, _context: object) -> None:
    pending = session.info.pop("audit_pending", [])
    if not pending:
        return
    from portal.audit.entry import AuditEntry

    user_id, actor = _who()
    request_id = g.get("request_id", "") if has_request_context() else ""
    now = clock.now()
    rows: list[dict[str, object]] = []
    for action, obj, change in pending:
        before, after = change if change else (None, _values(obj))
        rows.extend({
            "at": now, "unit_id": unit_id, "user_id": user_id, "actor": actor[:120],
            "object_type": obj.__table__.name, "object_id": getattr(obj, "id", None),
            "action": action, "label": _label(obj), "before": before, "after": after,
            "request_id": request_id, "note": ""} for unit_id in _units_of(session, obj))
    session.connection().execute(insert(AuditEntry.__table__), rows)  # type: ignore[arg-type]  # a Table
