"""The report aggregate: a unit's report for a period, its values, task statuses,
narrative, the snapshots of what it submitted, and its audited transitions.

A report is keyed by (unit, period). The drafter hands it to the unit head ("trình"),
who submits it or sends it back with a note; submitting locks it for the unit and
records the real submission time; the reviewer accepts it or returns it with a reason;
only the reviewer's level or above reopens an accepted report. Every row carries a version
checked in its UPDATE, as plans do.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    DateTime,
    FetchedValue,
    ForeignKey,
    Index,
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


class ReportStatus(enum.StrEnum):
    """Where a report stands in the loop: drafter → head ("trình") → reviewer.

    The unit's writers edit it while it is DRAFT, RETURNED or REOPENED (EDITABLE); the
    drafter hands it to the head (WITH_HEAD, locked); the head submits it (SUBMITTED,
    locked, with the reviewer) or sends it back; the reviewer returns it (RETURNED,
    with a reason) or accepts it (ACCEPTED); the reviewer's level reopens an accepted
    one (REOPENED, with a reason). Only SUBMITTED and ACCEPTED count as reported.
    """

    DRAFT = "draft"            # being written
    WITH_HEAD = "with_head"    # handed to the unit head to submit ("đã trình")
    SUBMITTED = "submitted"    # locked for the unit, with the reviewer
    RETURNED = "returned"      # returned by the reviewer for correction, with a reason
    ACCEPTED = "accepted"
    REOPENED = "reopened"      # an accepted report opened again by the reviewer's level


# The unit's writers may change the report in these.
EDITABLE = frozenset({ReportStatus.DRAFT.value, ReportStatus.RETURNED.value,
                      ReportStatus.REOPENED.value})
# Waiting for the reviewer (their worklist).
WITH_REVIEWER = frozenset({ReportStatus.SUBMITTED.value})

REPORT_STATUS_LABELS = {ReportStatus.DRAFT: _l("Being written"),
                        ReportStatus.WITH_HEAD: _l("With the unit head"),
                        ReportStatus.SUBMITTED: _l("Submitted"),
                        ReportStatus.RETURNED: _l("Returned for correction"),
                        ReportStatus.ACCEPTED: _l("Accepted"),
                        ReportStatus.REOPENED: _l("Reopened for correction")}
# The same within a sentence ("Report 2026: being written").
REPORT_STATUS_IN_TEXT = {ReportStatus.DRAFT: _l("being written"),
                         ReportStatus.WITH_HEAD: _l("with the unit head"),
                         ReportStatus.SUBMITTED: _l("submitted"),
                         ReportStatus.RETURNED: _l("returned for correction"),
                         ReportStatus.ACCEPTED: _l("accepted"),
                         ReportStatus.REOPENED: _l("reopened for correction")}


class ReportAction(enum.StrEnum):
    """The steps of the loop, as ``ReportTransition.action`` records them."""

    CREATE = "create"
    HAND_OVER = "hand_over"    # the drafter hands the report to the head ("trình")
    SEND_BACK = "send_back"    # the head sends it back to the drafter, with a note
    SUBMIT = "submit"          # the head submits it to the reviewer
    RETURN = "return"          # the reviewer returns it for correction, with a reason
    ACCEPT = "accept"
    REOPEN = "reopen"          # the reviewer's level reopens an accepted one, with a reason


# The statuses each action starts from; the service refuses it from any other.
ACTION_FROM = {ReportAction.HAND_OVER: EDITABLE,
               ReportAction.SEND_BACK: frozenset({ReportStatus.WITH_HEAD.value}),
               ReportAction.SUBMIT: EDITABLE | {ReportStatus.WITH_HEAD.value},
               ReportAction.RETURN: WITH_REVIEWER,
               ReportAction.ACCEPT: WITH_REVIEWER,
               ReportAction.REOPEN: frozenset({ReportStatus.ACCEPTED.value})}

REPORT_ACTION_LABELS = {ReportAction.CREATE: _l("Report started"),
                        ReportAction.HAND_OVER: _l("Handed to the unit head"),
                        ReportAction.SEND_BACK: _l("Sent back to the drafter"),
                        ReportAction.SUBMIT: _l("Report submitted"),
                        ReportAction.RETURN: _l("Returned by the reviewer"),
                        ReportAction.ACCEPT: _l("Accepted by the reviewer"),
                        ReportAction.REOPEN: _l("Reopened by the reviewer")}


class TaskStatus(enum.StrEnum):
    """The four buckets of Vietnamese government task tracking."""

    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    IN_PROGRESS = "in_progress"    # not done, still within its deadline
    OVERDUE = "overdue"            # not done, past its deadline


TASK_STATUS_LABELS = {TaskStatus.DONE_ON_TIME: _l("Done on time"),
                      TaskStatus.DONE_LATE: _l("Done late"),
                      TaskStatus.IN_PROGRESS: _l("Not done, within the deadline"),
                      TaskStatus.OVERDUE: _l("Not done, overdue")}
TASK_STATUS_MISSING = _l("Not given")


NARRATIVE = ("results", "difficulties", "proposals")


class UnitReport(TenantScoped, Model):
    __tablename__ = "unit_report"
    __table_args__ = (UniqueConstraint("unit_id", "period_id", name="uq_unit_report_period"),
                      Index("ix_unit_report_province", "province_id", "period_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    # The unit's tenant key (tenants.unit.Unit.province_id), set by the database on insert.
    province_id: Mapped[int | None] = mapped_column(Integer, server_default=FetchedValue())
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id"), index=True)
    framework_version_id: Mapped[int] = mapped_column(ForeignKey("framework_version.id"))
    plan_revision_id: Mapped[int | None] = mapped_column(ForeignKey("plan_revision.id"))
    status: Mapped[str] = mapped_column(String(12), default=ReportStatus.DRAFT.value)
    version: Mapped[int] = mapped_column(Integer, default=1)
    section_versions: Mapped[dict] = mapped_column(JSON, default=dict)
    results: Mapped[str] = mapped_column(Text, default="")        # kết quả đạt được
    difficulties: Mapped[str] = mapped_column(Text, default="")   # khó khăn, vướng mắc
    proposals: Mapped[str] = mapped_column(Text, default="")      # đề xuất, kiến nghị
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 default=clock.now, server_default=func.now())
    first_submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declaration

    values: Mapped[list[ReportValue]] = relationship(
        back_populates="report", order_by="ReportValue.position", cascade="all, delete-orphan")
    tasks: Mapped[list[ReportTask]] = relationship(
        back_populates="report", order_by="ReportTask.position", cascade="all, delete-orphan")

    def section_version(self, name: str) -> int:
        return (self.section_versions or {}).get(name, 1)


class ReportValue(TenantScoped, Model):
    """The unit's value for one indicator, in the indicator's kind."""

    __tablename__ = "report_value"
    __table_args__ = (UniqueConstraint("report_id", "indicator_id", name="uq_report_value"),
                      Index("ix_report_value_province", "province_id", "indicator_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("unit_report.id", ondelete="CASCADE"),
                                           index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    province_id: Mapped[int | None] = mapped_column(Integer, server_default=FetchedValue())
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    value: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))        # count, amount, yes=1
    numerator: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    denominator: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    text: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - as on UnitReport

    report: Mapped[UnitReport] = relationship(back_populates="values")


class ReportTask(TenantScoped, Model):
    """The status of one task of the unit's issued plan."""

    __tablename__ = "report_task"
    __table_args__ = (Index("ix_report_task_province", "province_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("unit_report.id", ondelete="CASCADE"),
                                           index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    province_id: Mapped[int | None] = mapped_column(Integer, server_default=FetchedValue())
    task_key: Mapped[str] = mapped_column(String(36))
    position: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[str] = mapped_column(Text, default="")      # as the plan words it
    status: Mapped[str | None] = mapped_column(String(16))
    # How confident the unit is that a task in progress will be done (portal.progress.confidence)
    confidence: Mapped[str | None] = mapped_column(String(12))
    result: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - as on UnitReport

    report: Mapped[UnitReport] = relationship(back_populates="tasks")


class ReportSubmission(DistributionKeyed, TenantScoped, Model):
    """What the unit sent, each time it submitted: for the reviewer's "what changed"."""

    __tablename__ = "report_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("unit_report.id", ondelete="CASCADE"),
                                           index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    content: Mapped[dict] = mapped_column(JSON)


class ReportTransition(DistributionKeyed, TenantScoped, Model):
    """Who moved the report from what to what, when and why. Written once."""

    __tablename__ = "report_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("unit_report.id", ondelete="CASCADE"),
                                           index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    action: Mapped[str] = mapped_column(String(12))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
