"""The framework aggregate: a parsed plan owned by a unit, its versions and their outline.

A framework is read by every unit below its owner (``SharedDownTree``). Versions are
drafts until published; a published version never changes, and a change to it makes
a new version, so plans and reports attached to the old one keep their meaning.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.extensions import Model, db
from tenants.scoping import SharedDownTree


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


VERSION_STATUS_LABELS = {VersionStatus.DRAFT: _l("Draft"), VersionStatus.PUBLISHED: _l("In force"),
                         VersionStatus.SUPERSEDED: _l("Superseded")}


class NodeKind(enum.StrEnum):
    """What a part of the plan is, for the unit plans and reports built on it."""

    SECTION = "section"
    PURPOSE = "purpose"
    REQUIREMENT = "requirement"
    TARGET_GROUP = "target_group"
    TARGET = "target"
    TASK_GROUP = "task_group"
    TASK = "task"
    FUNDING = "funding"
    RESPONSIBILITY = "responsibility"
    OTHER = "other"


NODE_KIND_LABELS = {NodeKind.SECTION: _l("Section"), NodeKind.PURPOSE: _l("Purpose"),
                    NodeKind.REQUIREMENT: _l("Requirement"),
                    NodeKind.TARGET_GROUP: _l("Group of targets"), NodeKind.TARGET: _l("Target"),
                    NodeKind.TASK_GROUP: _l("Group of tasks"), NodeKind.TASK: _l("Task"),
                    NodeKind.FUNDING: _l("Funding"), NodeKind.RESPONSIBILITY: _l("Responsibility"),
                    NodeKind.OTHER: _l("Other")}


class Framework(SharedDownTree, Model):
    __tablename__ = "framework"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    # The plan above this one (the national plan above a provincial one).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("framework.id"))
    name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 default=clock.now, server_default=func.now())
    # Health bands (portal.progress.health): actual ÷ expected at least ``health_on_track``
    # is on track, at least ``health_behind`` behind, below it at risk. The owner sets them.
    health_on_track: Mapped[Decimal] = mapped_column(
        Numeric(6, 4), default=Decimal("0.95"), server_default="0.95")
    health_behind: Mapped[Decimal] = mapped_column(
        Numeric(6, 4), default=Decimal("0.85"), server_default="0.85")

    # No relationship to the owner unit: readers below it cannot load units above them;
    # its code and name come from tenants.tree.unit_labels.
    parent: Mapped[Framework | None] = relationship(remote_side=[id])
    versions: Mapped[list[FrameworkVersion]] = relationship(
        back_populates="framework", order_by="FrameworkVersion.number",
        cascade="all, delete-orphan")

    def tenant_anchors_changed(self) -> set[int | None]:
        # ``parent_id`` is the plan above (a framework id), not a unit: declaring it
        # (portal.frameworks.mapping.set_parent) must not be checked as a move of units.
        return {self.owner_unit_id}

    def published(self) -> FrameworkVersion | None:
        """The version in force: the latest published one."""
        return db.session.scalar(
            select(FrameworkVersion)
            .where(FrameworkVersion.framework_id == self.id,
                   FrameworkVersion.status == VersionStatus.PUBLISHED.value)
            .order_by(FrameworkVersion.number.desc()).limit(1))

    def draft(self) -> FrameworkVersion | None:
        return db.session.scalar(
            select(FrameworkVersion)
            .where(FrameworkVersion.framework_id == self.id,
                   FrameworkVersion.status == VersionStatus.DRAFT.value))


class FrameworkVersion(SharedDownTree, Model):
    __tablename__ = "framework_version"
    __table_args__ = (UniqueConstraint("framework_id", "number",
                                       name="uq_framework_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"),
                                              index=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default=VersionStatus.DRAFT.value)
    # The document's header, as parsed and corrected by the owner.
    doc_number: Mapped[str | None] = mapped_column(String(60))
    doc_type: Mapped[str | None] = mapped_column(String(10))
    issuer: Mapped[str | None] = mapped_column(String(300))
    place: Mapped[str | None] = mapped_column(String(100))
    issued_on: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str] = mapped_column(Text, default="")
    preamble: Mapped[str] = mapped_column(Text, default="")
    closing: Mapped[str] = mapped_column(Text, default="")
    source_filename: Mapped[str | None] = mapped_column(String(255))
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 default=clock.now, server_default=func.now())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    framework: Mapped[Framework] = relationship(back_populates="versions")
    nodes: Mapped[list[FrameworkNode]] = relationship(
        back_populates="version", order_by="FrameworkNode.position",
        cascade="all, delete-orphan")

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT.value


class FrameworkNode(SharedDownTree, Model):
    """One section, item or sub-item of a framework version's outline."""

    __tablename__ = "framework_node"
    __table_args__ = (UniqueConstraint("version_id", "path", name="uq_framework_node_path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("framework_version.id", ondelete="CASCADE"), index=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("framework_node.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(40))      # "II.1.d": an indicator's code
    label: Mapped[str] = mapped_column(String(10))     # "d"
    depth: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)     # document order
    kind: Mapped[str] = mapped_column(String(20), default=NodeKind.OTHER.value)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    # Where the node was read: its page (1-based) in the source document, and the box of
    # its first line as fractions of the page [left, top, right, bottom]; None when the
    # document had no pages (.txt, .docx) or the node was not found on them.
    page: Mapped[int | None] = mapped_column(Integer)
    box: Mapped[list | None] = mapped_column(JSON)

    version: Mapped[FrameworkVersion] = relationship(back_populates="nodes")

    @property
    def heading(self) -> str:
        """The node as a reader names it: "II.1.d" and its title or first words."""
        words = self.title or self.text
        return f"{self.path}. {words[:120]}{'…' if len(words) > 120 else ''}"
