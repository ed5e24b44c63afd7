"""One audited change: who, when, what object, what it was and what it became.

Written by ``portal.audit.capture`` in the same transaction as the change; never
updated or deleted (database triggers refuse it, and row-level security gives the app
role no UPDATE or DELETE policy). Kept without foreign keys, so it outlives what it
describes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from tenants.scoping import TenantScoped


class AuditEntry(TenantScoped, Model):
    __tablename__ = "audit_entry"
    # No RETURNING on insert: an entry the writer may not read back (a new account has no
    # unit yet) must still be written, and PostgreSQL checks RETURNING rows against the
    # read policy.
    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),
                      {"implicit_returning": False})

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # The unit the object belongs to (a unit's own id for a unit); whoever sees the unit
    # sees its history. None only for platform-wide objects (operators' accounts).
    unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(120))        # user name, or "system: why"
    object_type: Mapped[str] = mapped_column(String(40))   # the table: "unit_report"
    object_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(12))        # create, update, delete
    label: Mapped[str] = mapped_column(String(300), default="")  # what it is, in words
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    request_id: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(Text, default="")
