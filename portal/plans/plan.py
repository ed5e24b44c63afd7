"""The plan aggregate: a unit's plan for a framework, its revisions, tasks and targets.

A plan has revisions; a revision is drafted, submitted to the unit head, then issued
(or returned with a reason). An issued revision never changes; amending it starts the
next revision, a copy that goes through the same workflow. Every save carries the
row's ``version``: a stale one is refused (409), never silently overwritten.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.extensions import Model
from tenants.scoping import DistributionKeyed, TenantScoped


class RevisionStatus(enum.StrEnum):
    DRAFT = "draft"            # being written (also after being returned)
    SUBMITTED = "submitted"    # with the unit head
    APPROVED = "approved"      # approved by the head; the clerk issues it with its number
    ISSUED = "issued"          # signed and in force; read-only
    SUPERSEDED = "superseded"  # an amended revision replaced it
    RECALLED = "recalled"      # recalled after issue ("thu hồi", Decree 30 Art. 18)


REVISION_STATUS_LABELS = {RevisionStatus.DRAFT: _l("Draft"),
                          RevisionStatus.SUBMITTED: _l("With the head"),
                          RevisionStatus.APPROVED: _l("Approved, waiting for its number"),
                          RevisionStatus.ISSUED: _l("Issued"),
                          RevisionStatus.SUPERSEDED: _l("Superseded"),
                          RevisionStatus.RECALLED: _l("Recalled")}


SECTIONS = ("purpose", "targets", "tasks", "funding", "organization")
SIGNING_FORMULAS = ("TM.", "KT.", "TL.", "TUQ.", "Q.", "")

# A plan's fields and its tasks' as the reader calls them (history, conflicts).
FIELD_LABELS = {
    "title": _l("Title"), "purpose": _l("I. Purpose and requirements"),
    "targets": _l("II. Targets"), "tasks": _l("III. Tasks and solutions (introduction)"),
    "funding": _l("IV. Funding"), "organization": _l("V. Organization of implementation"),
    "content": _l("Task"), "lead": _l("Lead (office in the unit)"), "start_date": _l("Start"),
    "end_date": _l("End"), "outputs": _l("Expected outputs"), "budget": _l("Budget (VND)"),
    "funding_source": _l("Funding source"), "not_applicable": _l("Not applicable"),
    "not_applicable_reason": _l("Reason it does not apply"),
    "coordinating": _l("Coordinating units"),
}
# The kinds of change between two revisions (``TaskChange.kind``).
CHANGE_LABELS = {"added": _l("added"), "removed": _l("removed"), "changed": _l("changed")}


class UnitPlan(DistributionKeyed, TenantScoped, Model):
    __tablename__ = "unit_plan"
    __table_args__ = (UniqueConstraint("unit_id", "framework_id",
                                       name="uq_unit_plan_framework"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 default=clock.now, server_default=func.now())

    revisions: Mapped[list[PlanRevision]] = relationship(
        back_populates="plan", order_by="PlanRevision.number", cascade="all, delete-orphan")


class PlanRevision(DistributionKeyed, TenantScoped, Model):
    __tablename__ = "plan_revision"
    __table_args__ = (UniqueConstraint("plan_id", "number", name="uq_plan_revision_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("unit_plan.id", ondelete="CASCADE"),
                                         index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    # The framework version this revision implements; it never changes meaning.
    framework_version_id: Mapped[int] = mapped_column(ForeignKey("framework_version.id"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default=RevisionStatus.DRAFT.value)
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped by every change
    # Each text section carries its own version, so two people editing different
    # sections never conflict: {"purpose": 3, …} (missing means 1).
    section_versions: Mapped[dict] = mapped_column(JSON, default=dict)
    title: Mapped[str] = mapped_column(Text, default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    targets: Mapped[str] = mapped_column(Text, default="")
    tasks: Mapped[str] = mapped_column(Text, default="")
    funding: Mapped[str] = mapped_column(Text, default="")
    organization: Mapped[str] = mapped_column(Text, default="")
    # Issuing: number and symbol, date, place, who signs and how.
    doc_number: Mapped[str | None] = mapped_column(String(60))
    issued_on: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(100))
    signing_formula: Mapped[str | None] = mapped_column(String(10))   # "TM."
    signing_body: Mapped[str | None] = mapped_column(String(200))     # "ỦY BAN NHÂN DÂN"
    signing_authority: Mapped[str | None] = mapped_column(String(200))  # "KT. CHỦ TỊCH"
    signer_title: Mapped[str | None] = mapped_column(String(200))     # "PHÓ CHỦ TỊCH"
    signer_name: Mapped[str | None] = mapped_column(String(200))
    recipients: Mapped[str] = mapped_column(Text, default="")          # one per line
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 default=clock.now, server_default=func.now())
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # The version is checked in the UPDATE itself (… WHERE version = :seen), so two
    # saves at the same moment cannot both win.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declaration

    plan: Mapped[UnitPlan] = relationship(back_populates="revisions")
    task_rows: Mapped[list[PlanTask]] = relationship(
        back_populates="revision", order_by="PlanTask.position", cascade="all, delete-orphan")
    target_rows: Mapped[list[PlanTarget]] = relationship(
        back_populates="revision", cascade="all, delete-orphan")

    @property
    def editable(self) -> bool:
        return self.status == RevisionStatus.DRAFT.value

    def section_version(self, name: str) -> int:
        return (self.section_versions or {}).get(name, 1)


class PlanTask(DistributionKeyed, TenantScoped, Model):
    __tablename__ = "plan_task"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
                        name="dates_in_order"),
        CheckConstraint("budget IS NULL OR budget >= 0", name="budget_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("plan_revision.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    # The same task across revisions, for their differences.
    key: Mapped[str] = mapped_column(String(36))
    framework_node_id: Mapped[int | None] = mapped_column(ForeignKey("framework_node.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    content: Mapped[str] = mapped_column(Text, default="")
    lead: Mapped[str] = mapped_column(String(200), default="")       # the office in charge
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    outputs: Mapped[str] = mapped_column(Text, default="")
    budget: Mapped[Decimal | None] = mapped_column(Numeric(18, 0))   # VND
    funding_source: Mapped[str] = mapped_column(String(200), default="")
    not_applicable: Mapped[bool] = mapped_column(Boolean, default=False)
    not_applicable_reason: Mapped[str] = mapped_column(Text, default="")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - as on PlanRevision

    revision: Mapped[PlanRevision] = relationship(back_populates="task_rows")
    coordinating: Mapped[list[PlanTaskUnit]] = relationship(
        back_populates="task", cascade="all, delete-orphan")


class PlanTaskUnit(DistributionKeyed, TenantScoped, Model):
    """A unit that coordinates on a task (another unit, picked from the tree)."""

    __tablename__ = "plan_task_unit"

    task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id", ondelete="CASCADE"),
                                         primary_key=True)
    coordinating_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)

    task: Mapped[PlanTask] = relationship(back_populates="coordinating")


class PlanTarget(DistributionKeyed, TenantScoped, Model):
    """The unit's own target for an indicator in a year (fractions for ratios)."""

    __tablename__ = "plan_target"
    __table_args__ = (UniqueConstraint("revision_id", "indicator_id", "year",
                                       name="uq_plan_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("plan_revision.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))

    revision: Mapped[PlanRevision] = relationship(back_populates="target_rows")
