"""Tenant scope and the ORM guard (layer 2 of ENGINEERING.md § Tenancy).

A *scope* says which units the code running now may see: whole subtrees (the
units of a leader, reviewer, consolidator or tenant admin), single units (a
drafter's or head's own unit), or everything (the audited escape hatch).

The guard fails closed: a SELECT, UPDATE or DELETE touching a tenant-owned model
with no scope bound raises ``NoTenantScope``; with a scope bound, the statement
gets ``with_loader_criteria`` limiting every tenant model in it to the visible
units; a flush that inserts or moves a tenant row outside the scope raises.
PostgreSQL row-level security (``tenants.rls``) repeats the same rule in the
database for the paths the ORM cannot see (raw SQL, Core statements).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from functools import cache
from itertools import chain

from flask import current_app, has_app_context
from sqlalchemy import FetchedValue, Integer, and_, column, event, inspect, or_, select, table
from sqlalchemy.orm import (
    Mapped,
    Mapper,
    ORMExecuteState,
    Session,
    mapped_column,
    with_loader_criteria,
)
from sqlalchemy.sql import visitors
from sqlalchemy.sql.expression import TableClause

log = logging.getLogger(__name__)

# A lightweight handle on the closure table: the models import this module.
_closure = table("unit_closure", column("ancestor_id"), column("descendant_id"),
                 column("depth"))
# Units merged into others by a reorganization (tenants/lineage.py): a subtree's readers
# read what was merged into it, and so do those who hold a role in the unit it was merged
# into, as PostgreSQL's portal_visible_units() does.
_lineage = table("unit_lineage", column("predecessor_id"), column("successor_id"))


class NoTenantScope(PermissionError):
    """Tenant data was queried with no scope bound: a bug, never a result."""


class OutOfScope(PermissionError):
    """A write would put a tenant row outside the units the scope may see."""


@dataclass(frozen=True)
class Scope:
    """The units visible to the code running now."""

    subtree_roots: frozenset[int] = frozenset()
    units: frozenset[int] = frozenset()
    everything: bool = False
    reason: str = field(default="", compare=False)

    @classmethod
    def nothing(cls) -> Scope:
        return cls()


class DistributionKeyed:
    """Mixin for the tenant models Citus would distribute by province (issue 22 item 7,
    migration 0034): ``province_id`` is the key of the row's unit, set by the database on
    insert (a trigger, both engines), so the ORM never sends it. ``id`` stays the ORM's
    identity; on PostgreSQL the table's primary key is ``(id, province_id)``."""

    province_id: Mapped[int | None] = mapped_column(Integer, server_default=FetchedValue())


class TenantScoped:
    """Mixin for tenant-owned models.

    ``__tenant_column__`` names the column holding the owning unit's id.
    """

    __tenant_column__: str = "unit_id"

    @property
    def tenant_anchor(self) -> int | None:
        """The unit id a new row is checked against before it is inserted."""
        return getattr(self, self.__tenant_column__)

    def tenant_anchors_changed(self) -> set[int | None]:
        """Unit ids a pending change must stay within (own unit, new parent, …)."""
        state = inspect(self, raiseerr=True)
        if state.pending or state.transient:
            return {self.tenant_anchor}
        anchors: set[int | None] = {getattr(self, self.__tenant_column__)}
        for name in ("parent_id", "unit_id"):
            attr = state.attrs.get(name)
            if attr is not None and attr.history.has_changes():
                anchors.add(getattr(self, name))
        return anchors


class SharedDownTree(TenantScoped):
    """Rows owned by a unit and readable by every unit below it (a province's framework
    is read by its communes). Writes still need the owner inside the scope."""

    __tenant_column__ = "owner_unit_id"


_current: ContextVar[Scope | None] = ContextVar("tenant_scope", default=None)


def current_scope() -> Scope | None:
    return _current.get()


def _guard_enabled() -> bool:
    if has_app_context():
        return bool(current_app.config.get("TENANT_ORM_GUARD", True))
    return True


def _session() -> Session | None:
    if not has_app_context():
        return None
    from portal.extensions import db

    session = db.session()
    if session.new or session.dirty or session.deleted:
        session.flush()  # work done under a scope is written under that scope
    return session


def _enter(scope: Scope | None) -> set | None:
    """Prepare the session for ``scope``; returns the identities loaded before it.

    A row loaded under one scope must never be served from the identity map under a
    narrower one (the "warm identity map" hole of shared/notes/tech-notes.md). Widening
    to the system scope keeps what is loaded; anything else starts clean.
    """
    session = _session()
    if session is None:
        return None
    if scope is not None and scope.everything:
        return set(session.identity_map.keys())
    _drop(session, keep=set())
    return set()


def _leave(kept: set | None) -> None:
    """Drop the tenant rows loaded inside the scope; reload the rest lazily."""
    session = _session()
    if session is not None and kept is not None:
        _drop(session, keep=kept)


def _drop(session: Session, keep: set) -> None:
    for key, obj in list(session.identity_map.items()):  # type: ignore[attr-defined]  # a WeakInstanceDict has it
        if isinstance(obj, TenantScoped) and key not in keep and obj in session:
            session.expunge(obj)  # (a cascade may already have taken it)
    # Collections and attributes loaded inside the scope go too.
    session.expire_all()


@contextmanager
def use_scope(scope: Scope | None) -> Iterator[Scope | None]:
    """Run the block under ``scope``; the previous scope comes back afterwards."""
    kept = _enter(scope)
    token = _current.set(scope)
    try:
        yield scope
        _leave(kept)
    finally:
        _current.reset(token)


@contextmanager
def narrow_scope(root_id: int, reason: str = "") -> Iterator[Scope]:
    """Run the block under the subtree of ``root_id`` only: a part of the current scope.

    For work that reads one subtree of what the caller sees (the national board computes
    each province's figures in turn under the ministry leader's scope): row-level security
    and the guard then carry that subtree's units in every statement, not the caller's.

    Refused (``OutOfScope``) unless the current scope already contains the whole subtree:
    the system scope does; otherwise ``root_id`` must lie in the subtree of one of the
    scope's roots (a unit seen by itself does not give its subtree). Unlike ``use_scope``
    the identity map is kept — every row loaded inside is also inside the caller's scope,
    so the objects the caller holds stay attached — except what only a narrower scope can
    get wrong: the relationships (collections, references) loaded inside the block, which
    could miss what lies outside the subtree; they are expired on the way out and load
    again, under the caller's scope, when next used. The previous scope comes back
    afterwards, also after an exception.
    """
    scope = _current.get()
    if scope is None:
        raise NoTenantScope("narrowing with no tenant scope bound")
    if not scope.everything:
        session = _session()
        inside = session is not None and session.execute(
            select(_closure.c.descendant_id).where(
                _closure.c.descendant_id == root_id,
                _closure.c.ancestor_id.in_(sorted(scope.subtree_roots)))).first() is not None
        if not inside:
            raise OutOfScope(f"unit {root_id} is not inside the current scope")
    session = _session()
    loaded = _loaded_relationships(session)
    narrowed = Scope(subtree_roots=frozenset({root_id}),
                     reason=reason or f"narrowed from: {scope.reason}")
    token = _current.set(narrowed)
    try:
        yield narrowed
        _session()  # work done inside is written under the narrowed scope
    finally:
        _current.reset(token)
        _expire_loaded_since(session, loaded)


def _loaded_relationships(session: Session | None) -> dict[object, frozenset[str]]:
    """The relationships loaded now on every object of the session, by identity."""
    if session is None:
        return {}
    return {state.key: frozenset(state.dict.keys() & state.mapper.relationships.keys())
            for state in session.identity_map.all_states()}


def _expire_loaded_since(session: Session | None,
                         before: dict[object, frozenset[str]]) -> None:
    if session is None:
        return
    for state in session.identity_map.all_states():
        names = (state.dict.keys() & state.mapper.relationships.keys()) - before.get(
            state.key, frozenset())
        obj = state.obj()
        if names and obj is not None:
            session.expire(obj, sorted(names))


def bind_scope(scope: Scope | None) -> Token[Scope | None]:
    """Bind ``scope`` until ``unbind_scope(token)``; for request hooks that cannot nest."""
    _enter(None)
    return _current.set(scope)


def unbind_scope(token: Token[Scope | None]) -> None:
    _current.reset(token)


@contextmanager
def system_scope(reason: str) -> Iterator[Scope]:
    """The one escape hatch: every unit, for a stated reason (logged).

    For cross-tenant work that is itself the feature: resolving who the caller is,
    imports by the platform operator, consolidation jobs, national roll-ups.
    """
    if not reason:
        raise ValueError("system_scope needs a reason")
    log.debug("system scope entered: %s", reason)
    with use_scope(Scope(everything=True, reason=reason)) as scope:
        yield scope  # type: ignore[misc]  # use_scope yields the Scope it was given


@contextmanager
def system_scope_in_flush(reason: str) -> Iterator[Scope]:
    """The system scope for Core statements run inside a flush hook (the audit log's),
    where the session must be neither flushed nor cleared, so ``system_scope`` cannot be
    entered. Load no ORM objects inside: the identity map is left as it is."""
    if not reason:
        raise ValueError("system_scope_in_flush needs a reason")
    scope = Scope(everything=True, reason=reason)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


@cache
def _tenant_models_by_table() -> dict[str, type]:
    """Every tenant model by its table's name, read from the mapper registry once (it is
    asked on every statement); forgotten whenever a model class is mapped, so a model
    mapped later is never missed."""
    from portal.models_base import Base

    return {m.local_table.name: m.class_ for m in Base.registry.mappers  # type: ignore[attr-defined]  # a mapper's table is a Table
            if issubclass(m.class_, TenantScoped)}


@event.listens_for(Mapper, "instrument_class")
def _forget_tenant_models(mapper: Mapper, class_: type) -> None:
    _tenant_models_by_table.cache_clear()


def _tenant_models(state: ORMExecuteState) -> list[type]:
    """Tenant models a statement touches: its ORM entities, and every table it names
    anywhere (``select_from``, joins, subqueries), which ``all_mappers`` does not list.
    """
    by_table = _tenant_models_by_table()
    found = {m.class_ for m in state.all_mappers if issubclass(m.class_, TenantScoped)}
    for element in visitors.iterate(state.statement):  # type: ignore[arg-type]  # a statement is a ClauseElement
        if isinstance(element, TableClause) and element.name in by_table:
            found.add(by_table[element.name])
    return sorted(found, key=lambda model: model.__name__)


@event.listens_for(Session, "do_orm_execute")
def _guard_statement(state: ORMExecuteState) -> None:
    if not _guard_enabled():
        return
    models = _tenant_models(state)
    if not models:
        return
    scope = _current.get()
    if scope is None:
        names = ", ".join(sorted(m.__name__ for m in models))
        raise NoTenantScope(f"query on tenant data ({names}) with no tenant scope bound")
    if scope.everything:
        return
    if state.is_insert:
        raise OutOfScope("bulk inserts of tenant rows run only in a system scope")
    if not (state.is_select or state.is_update or state.is_delete):
        return
    roots = sorted(scope.subtree_roots)
    units = sorted(scope.units)
    reach = sorted(scope.subtree_roots | scope.units)
    # The lambdas are compiled once per model and cached; ``roots``, ``units`` and
    # ``reach`` are closure variables, which SQLAlchemy binds afresh on every call.
    # The lambda form (unlike a plain clause) also adapts to aliases of the model.
    options = []
    for model in models:
        if issubclass(model, SharedDownTree):
            criteria = with_loader_criteria(
                model,
                lambda cls: getattr(cls, cls.__tenant_column__).in_(
                    select(_closure.c.ancestor_id).where(_closure.c.descendant_id.in_(reach)))
                | getattr(cls, cls.__tenant_column__).in_(
                    select(_closure.c.descendant_id).where(_closure.c.ancestor_id.in_(roots))),
                include_aliases=True)
        else:
            criteria = with_loader_criteria(
                model,
                lambda cls: getattr(cls, cls.__tenant_column__).in_(
                    select(_closure.c.descendant_id).where(_closure.c.ancestor_id.in_(roots)))
                | getattr(cls, cls.__tenant_column__).in_(units)
                | getattr(cls, cls.__tenant_column__).in_(
                    select(_lineage.c.predecessor_id)
                    .join(_closure, _closure.c.descendant_id == _lineage.c.successor_id)
                    .where(_closure.c.ancestor_id.in_(roots)))
                | getattr(cls, cls.__tenant_column__).in_(
                    select(_lineage.c.predecessor_id)
                    .where(_lineage.c.successor_id.in_(units))),
                include_aliases=True)
        options.append(criteria)
    state.statement = state.statement.options(*options)


@event.listens_for(Session, "before_flush")
def _guard_flush(session: Session, flush_context: object, instances: object) -> None:
    if not _guard_enabled():
        return
    changed = [o for o in chain(session.new, session.dirty) if isinstance(o, TenantScoped)]
    if not changed:
        return
    scope = _current.get()
    if scope is None:
        raise NoTenantScope("writing tenant data with no tenant scope bound")
    if scope.everything:
        return
    anchors: set[int | None] = set()
    for obj in changed:
        anchors |= obj.tenant_anchors_changed()
    if None in anchors:
        raise OutOfScope("only the platform may create or move a root unit")
    wanted = sorted(a for a in anchors if a is not None)
    with session.no_autoflush:
        seen = set(session.execute(
            select(_closure.c.descendant_id).where(
                _closure.c.descendant_id.in_(wanted),
                or_(_closure.c.ancestor_id.in_(sorted(scope.subtree_roots)),
                    and_(_closure.c.depth == 0,
                         _closure.c.ancestor_id.in_(sorted(scope.units))))))
            .scalars())
    missing = set(wanted) - seen
    if missing:
        raise OutOfScope(f"units {sorted(missing)} are outside the current scope")
