"""The unit tree: units of any depth, and the closure table for subtree queries."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.extensions import Model
from tenants.scoping import TenantScoped


class UnitKind(enum.StrEnum):
    """What a unit is in the state structure; drives duties and reporting."""

    NATION = "nation"            # a ministry or national level above the provinces
    PROVINCE = "province"        # UBND tỉnh / thành phố trung ương
    DEPARTMENT = "department"    # sở, ban, ngành and other provincial bodies
    DISTRICT = "district"        # UBND huyện, quận, thị xã, thành phố thuộc tỉnh
    COMMUNE = "commune"          # UBND xã, phường, thị trấn, đặc khu
    OFFICE = "office"            # an office or body inside another unit


UNIT_KIND_LABELS = {UnitKind.NATION: _l("National level"), UnitKind.PROVINCE: _l("Province"),
                    UnitKind.DEPARTMENT: _l("Department or provincial body"),
                    UnitKind.DISTRICT: _l("District"), UnitKind.COMMUNE: _l("Commune"),
                    UnitKind.OFFICE: _l("Office")}


# The `type` column of the official lists (shared/data) decides the kind.
KIND_BY_ADMIN_TYPE: dict[str, UnitKind] = {
    "tỉnh": UnitKind.PROVINCE,
    "thành phố trung ương": UnitKind.PROVINCE,
    "huyện": UnitKind.DISTRICT,
    "quận": UnitKind.DISTRICT,
    "thị xã": UnitKind.DISTRICT,
    "thành phố": UnitKind.DISTRICT,
    "xã": UnitKind.COMMUNE,
    "phường": UnitKind.COMMUNE,
    "thị trấn": UnitKind.COMMUNE,
    "đặc khu": UnitKind.COMMUNE,
}


class Unit(TenantScoped, Model):
    """A tenant: a people's committee, a department or another body, at any depth."""

    __tablename__ = "unit"
    __tenant_column__ = "id"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from",
                        name="validity_order"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        Index("ix_unit_province", "province_id"),
        # No RETURNING on insert: a new unit has no closure rows until add_unit writes
        # them, so row-level security would not let its inserter read it back yet.
        {"implicit_returning": False},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    # Lower case, no diacritics (tenants.text.search_key): search matches every spelling.
    search_name: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # The official type word from the GSO list ("xã", "thị xã", …), when there is one.
    admin_type: Mapped[str | None] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # The body's letters in a document's number ("SKHCN" in 30/BC-SKHCN); empty: derived
    # from the name (portal.register.abbreviation_of). Edited in the administration.
    abbreviation: Mapped[str | None] = mapped_column(String(20))
    # The government electronic identifier (Decision 20/2020/QĐ-TTg): "000.00.31.H26".
    electronic_id: Mapped[str | None] = mapped_column(String(35), unique=True)
    # The tenant key (migration 0028): the province the unit is in (itself for a province
    # or a root). Set by the database on insert, never changed; the big tables carry it
    # too, so a query can tell the planner which tenant it reads (``tenant_keys``).
    province_id: Mapped[int | None] = mapped_column(Integer, server_default=FetchedValue())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 default=clock.now, server_default=func.now())

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent",
                                                order_by="Unit.name")

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.name!r}>"

    def __str__(self) -> str:
        """How a person reads the unit wherever it is named (the administration's lists)."""
        return f"{self.name} ({self.code})"

    @property
    def tenant_anchor(self) -> int | None:
        # A new unit has no id before the flush; it belongs where its parent is.
        return self.parent_id

    def is_active_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day < self.valid_to)


class UnitClosure(Model):
    """Every (ancestor, descendant, depth) pair of the tree, depth 0 included.

    Not tenant-scoped itself: it holds only ids, and the row-level security
    policies of the tenant tables read it.
    """

    __tablename__ = "unit_closure"
    __table_args__ = (Index("ix_unit_closure_descendant", "descendant_id", "ancestor_id"),)

    ancestor_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"),
                                             primary_key=True)
    descendant_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"),
                                               primary_key=True)
    depth: Mapped[int] = mapped_column(Integer)
