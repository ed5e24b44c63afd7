"""What became of units in a reorganization: lineage links and the reorganizations.

``UnitLineage`` holds (predecessor, successor) for every unit closed by a reorganization,
transitively: when a successor is itself merged later, its predecessors get a link to the
new successor too. Like the closure table it holds only ids and is not tenant-scoped.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from tenants.scoping import TenantScoped


class UnitLineage(Model):
    __tablename__ = "unit_lineage"
    __table_args__ = (Index("ix_unit_lineage_successor", "successor_id"),)

    predecessor_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)
    successor_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)
    effective_on: Mapped[date] = mapped_column(Date)
    reorganization_id: Mapped[int | None] = mapped_column(ForeignKey("reorganization.id"))
    direct: Mapped[bool] = mapped_column(default=True)   # False: carried over from a link


class Reorganization(TenantScoped, Model):
    """One applied mapping: under which unit, from when, who, and what it changed."""

    __tablename__ = "reorganization"
    __tenant_column__ = "unit_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)  # the new parent
    effective_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(255), default="")
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    applied_by_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
