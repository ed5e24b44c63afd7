"""One audited change: who, when, what object, what it was and what it became.

Written by ``portal.audit.capture`` in the same transaction as the change; never
updated or deleted (database triggers refuse it, and row-level security gives the app
role no UPDATE or DELETE policy). Kept without foreign keys, so it outlives what it
describes.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from tenants.scoping import DistributionKeyed, TenantScoped


class AuditAction(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


AUDIT_ACTION_LABELS = {AuditAction.CREATE: _l("created"), AuditAction.UPDATE: _l("changed"),
                       AuditAction.DELETE: _l("deleted")}

# What each audited table holds, as the reader calls it (``AuditEntry.object_type``).
OBJECT_TYPE_LABELS = {
    "unit": _l("Unit"), "user_account": _l("Account"), "membership": _l("Membership"),
    "api_token": _l("API token"), "framework": _l("Plan framework"),
    "framework_version": _l("Framework version"), "indicator": _l("Indicator"),
    "indicator_target": _l("Indicator target"), "reporting_period": _l("Reporting period"),
    "responsibility": _l("Responsibility"), "unit_plan": _l("Unit plan"),
    "plan_revision": _l("Plan revision"), "plan_task": _l("Plan task"),
    "plan_target": _l("Plan target"), "plan_transition": _l("Plan workflow step"),
    "unit_report": _l("Report"), "report_value": _l("Report value"),
    "report_task": _l("Report task status"), "report_transition": _l("Report workflow step"),
    "report_evidence": _l("Evidence file"), "consolidation": _l("Consolidation"),
    "reorganization": _l("Administrative reorganization"),
    "unit_lineage": _l("Link from a former unit"),
    "outlier_rule": _l("Outlier rule"), "value_follow_up": _l("Follow-up mark of a value"),
    "value_comment": _l("Comment on a value"),
    "document_record": _l("Document of record"),
    "signing_image": _l("Seal or signature image"),
}


class AuditEntry(DistributionKeyed, TenantScoped, Model):
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
