"""Responsibilities: who must do what under Section V ("Tổ chức thực hiện").

A responsibility applies to units by kind (all departments, all districts…), to
named units (the Department of Science and Technology…), and optionally to every
people's committee directly under the owner ("UBND cấp dưới trực tiếp của UBND tỉnh":
the districts before July 2025, the communes after).
"""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Model
from tenants.scoping import SharedDownTree


class Responsibility(SharedDownTree, Model):
    __tablename__ = "responsibility"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("framework_version.id", ondelete="CASCADE"), index=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("framework_node.id", ondelete="CASCADE"))
    unit_kinds: Mapped[str] = mapped_column(String(200), default="")  # comma-separated
    direct_children: Mapped[bool] = mapped_column(Boolean, default=False)
    # Addressees named in the plan that match no unit (for the owner to map).
    unmatched: Mapped[str] = mapped_column(Text, default="")

    named: Mapped[list[ResponsibilityUnit]] = relationship(
        back_populates="responsibility", cascade="all, delete-orphan")

    @property
    def unit_kind_list(self) -> list[str]:
        return [k for k in self.unit_kinds.split(",") if k]


class ResponsibilityUnit(SharedDownTree, Model):
    """A unit the plan names for a responsibility."""

    __tablename__ = "responsibility_unit"

    responsibility_id: Mapped[int] = mapped_column(
        ForeignKey("responsibility.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)

    responsibility: Mapped[Responsibility] = relationship(back_populates="named")
