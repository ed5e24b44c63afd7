"""One notice to one person about one unit: a reminder of a report coming due or overdue,
or a step of the report's workflow (submitted, returned, accepted, reopened, …)."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model
from portal.reports.report import ReportTransition
from tenants.scoping import DistributionKeyed, TenantScoped


class NoticeKind(enum.StrEnum):
    REMINDER = "reminder"    # a report coming due or overdue (portal.notifications.reminders)
    WORKFLOW = "workflow"    # a step of a report's workflow (portal.notifications.workflow)
    VALIDATION = "validation"  # a validation run found a rule broken (portal.validation.runs)
    COMMENT = "comment"      # a message in a value's thread (portal.notifications.comments)


# Workflow steps that send a report back for correction: they need action, so they stand
# out on the page and are mailed at once even to people who chose the daily digest.
REJECTIONS = frozenset({"return", "reopen", "send_back"})

NOTICE_KIND_LABELS = {NoticeKind.REMINDER: _l("Reminder"),
                      NoticeKind.WORKFLOW: _l("Report workflow"),
                      NoticeKind.VALIDATION: _l("Validation rules"),
                      NoticeKind.COMMENT: _l("Message about a figure")}


class Notification(DistributionKeyed, TenantScoped, Model):
    __tablename__ = "notification"
    # Never twice. A reminder: one per person, unit, period and step. A workflow notice
    # (step NULL, so the first constraint never binds it: NULLs are distinct in both
    # PostgreSQL and SQLite): one per person and transition. A reminder has no transition.
    __table_args__ = (UniqueConstraint("user_id", "unit_id", "period_id", "step",
                                       name="uq_notification_once"),
                      UniqueConstraint("user_id", "transition_id",
                                       name="uq_notification_transition"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)  # about this unit
    kind: Mapped[str] = mapped_column(String(10), default=NoticeKind.REMINDER.value)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id",
                                                      ondelete="CASCADE"))
    # a reminder's: "30", "7", "1" (days) or "overdue"; None for a workflow notice
    step: Mapped[str | None] = mapped_column(String(10))
    transition_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_transition.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")   # a path in the platform
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    email_error: Mapped[str] = mapped_column(Text, default="")

    transition: Mapped[ReportTransition | None] = relationship()

    @property
    def asks_for_correction(self) -> bool:
        """A workflow notice of a report sent back for correction (returned, reopened, …)."""
        return self.transition is not None and self.transition.action in REJECTIONS
