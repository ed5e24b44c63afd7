"""What happened to a plan: workflow transitions (audited) and reviewers' comments."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.extensions import Model
from tenants.scoping import DistributionKeyed, TenantScoped


class PlanAction(enum.StrEnum):
    CREATE = "create"
    SUBMIT = "submit"
    RETURN = "return"
    APPROVE = "approve"        # the head approved it; the clerk issues it
    ISSUE = "issue"
    AMEND = "amend"
    REPLACED = "replaced"      # its document was replaced by the next one issued (Art. 18)
    CORRECT = "correct"        # a correction notice was issued for it
    RECALL = "recall"          # its document was recalled


PLAN_ACTION_LABELS = {PlanAction.CREATE: _l("started"), PlanAction.SUBMIT: _l("submitted"),
                      PlanAction.RETURN: _l("returned"), PlanAction.ISSUE: _l("issued"),
                      PlanAction.APPROVE: _l("approved by the head"),
                      PlanAction.AMEND: _l("amendment started"),
                      PlanAction.REPLACED: _l("replaced by"),
                      PlanAction.CORRECT: _l("correction notice issued"),
                      PlanAction.RECALL: _l("recalled")}


class PlanTransition(DistributionKeyed, TenantScoped, Model):
    """Who moved which revision from what to what, when and why. Written once."""

    __tablename__ = "plan_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("unit_plan.id", ondelete="CASCADE"),
                                         index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("plan_revision.id",
                                                        ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    action: Mapped[str] = mapped_column(String(12))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now,
                                         server_default=func.now())


class PlanComment(DistributionKeyed, TenantScoped, Model):
    """A reviewer's comment on a plan revision or one of its tasks."""

    __tablename__ = "plan_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("unit_plan.id", ondelete="CASCADE"),
                                         index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("plan_revision.id",
                                                        ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    task_key: Mapped[str | None] = mapped_column(String(36))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 default=clock.now, server_default=func.now())
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
