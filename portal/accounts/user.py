"""User accounts. Global (one person may hold roles in several units)."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.extensions import Model
from tenants.membership import Membership


class EmailDelivery(enum.StrEnum):
    """How a person's notices reach them by e-mail; every notice is also shown in the app.

    DIGEST gathers the day's report-workflow notices in one message each morning, but a
    report sent back (returned, reopened, sent back by the head) is mailed at once all the
    same: those need action (docs/notifications.md). NONE mails nothing, reminders
    included.
    """

    IMMEDIATE = "immediate"
    DIGEST = "digest"
    NONE = "none"


EMAIL_DELIVERY_LABELS = {EmailDelivery.IMMEDIATE: _l("Each notice at once"),
                         EmailDelivery.DIGEST: _l("One digest a day"),
                         EmailDelivery.NONE: _l("No e-mail")}


class User(UserMixin, Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(160), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    email_delivery: Mapped[str] = mapped_column(String(10),
                                                default=EmailDelivery.IMMEDIATE.value)
    # Failed sign-ins in a row, and until when the account is locked after too many.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped on password change: every other session of this user is signed out.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 default=clock.now, server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    memberships: Mapped[list[Membership]] = relationship(back_populates="user",
                                                         cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    def __str__(self) -> str:
        """The person by name, then the account's user name (the administration's lists)."""
        return f"{self.full_name} ({self.username})" if self.full_name else self.username

    @property
    def mailable(self) -> bool:
        """Does e-mail reach this person at all (an address, and not turned off)?"""
        return bool(self.email) and self.email_delivery != EmailDelivery.NONE.value

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        # Flask-Login "alternative token": a password change invalidates old cookies.
        return f"{self.id}:{self.session_version}"
