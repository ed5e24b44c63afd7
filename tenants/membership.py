"""Memberships: a user holds a role in a unit."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.extensions import Model
from tenants.scoping import TenantScoped
from tenants.unit import Unit


class Role(enum.StrEnum):
    """Role identifiers; a stable interface (ENGINEERING.md § Interfaces)."""

    DRAFTER = "drafter"
    HEAD = "head"
    REVIEWER = "reviewer"
    CONSOLIDATOR = "consolidator"
    LEADER = "leader"
    ADMIN = "admin"
    # The clerk ("văn thư"): issues the documents the head or leader signed, applying the
    # organisation's signature (docs/signing.md); reads its own unit, writes nothing else.
    CLERK = "clerk"


ROLE_LABELS = {Role.DRAFTER: _l("Drafter"), Role.HEAD: _l("Unit head"),
               Role.REVIEWER: _l("Reviewer"), Role.CONSOLIDATOR: _l("Consolidator"),
               Role.LEADER: _l("Leader"), Role.ADMIN: _l("Administrator"),
               Role.CLERK: _l("Clerk")}


# Roles whose read access covers the whole subtree of their unit.
SUBTREE_READ_ROLES = frozenset({Role.REVIEWER, Role.CONSOLIDATOR, Role.LEADER, Role.ADMIN})
# Roles that maintain the frameworks (provincial plans) their unit owns.
FRAMEWORK_OWNER_ROLES = frozenset({Role.CONSOLIDATOR, Role.ADMIN})
# Roles that launch the consolidation of the reports of their subtree.
CONSOLIDATING_ROLES = frozenset({Role.CONSOLIDATOR, Role.LEADER})
# Roles that review the plans and reports of the units below them.
REVIEW_ROLES = frozenset({Role.REVIEWER, Role.CONSOLIDATOR})
# Roles that may change the unit's own plan and reports.
WRITE_ROLES = frozenset({Role.DRAFTER, Role.HEAD})


class Membership(TenantScoped, Model):
    __tablename__ = "membership"
    __tenant_column__ = "unit_id"
    __table_args__ = (UniqueConstraint("user_id", "unit_id", "role",
                                       name="uq_membership_user_unit_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 default=clock.now, server_default=func.now())

    unit: Mapped[Unit] = relationship()
    user: Mapped["User"] = relationship(back_populates="memberships")  # type: ignore[name-defined]  # noqa: F821, UP037 (User imports this module)

    def __str__(self) -> str:
        """The role as people name it, and where: "Cán bộ soạn thảo · Xã Một Một"."""
        role = ROLE_LABELS.get(self.role, self.role)   # type: ignore[call-overload]  # looked up by the plain string
        return f"{role} · {self.unit.name}" if self.unit is not None else str(role)

    @property
    def tenant_anchor(self) -> int | None:
        return self.unit_id
