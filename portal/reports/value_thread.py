"""What is said about one value of a report: its follow-up flag and the comment thread
between the unit and its reviewer (the value panel, docs/outliers.md § The value panel).

The flag is set by the outlier check when a saved value falls outside its rule
(``automatic``), and set or cleared by the reviewer; a reviewer's decision stands until
the figure changes again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.extensions import Model
from tenants.scoping import DistributionKeyed, TenantScoped


class ValueFollowUp(DistributionKeyed, TenantScoped, Model):
    """The follow-up mark of a value: one row per value, once it has been flagged."""

    __tablename__ = "value_follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    value_id: Mapped[int] = mapped_column(
        ForeignKey("report_value.id", ondelete="CASCADE"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=True)
    automatic: Mapped[bool] = mapped_column(Boolean, default=True)   # set by the check
    reason: Mapped[str] = mapped_column(Text, default="")
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declaration


class ValueComment(DistributionKeyed, TenantScoped, Model):
    """One message about a value, by the unit or its reviewer. Written once."""

    __tablename__ = "value_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    value_id: Mapped[int] = mapped_column(
        ForeignKey("report_value.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    side: Mapped[str] = mapped_column(String(10), default="unit")     # "unit" or "reviewer"
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
