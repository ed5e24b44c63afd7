"""The consolidated narrative the consolidator edits before the report goes out.

The snapshot (``Consolidation.result``) never changes: its figures and every unit's own
words stay as they were computed. The narrative the report prints is a separate,
editable part: until someone edits it, each section is compiled from the snapshot by
theme with its sources cited (``portal.reports.narrative_compile``); the first save
keeps all three sections (the compiled text of the two not edited), and from then on
the Word export prints what is stored. Each section has its own version, like a
report's narrative, so two consolidators editing at once see each other's text
instead of overwriting it.

Only the consolidators of the unit (or of a unit above it) edit it; whoever reads the
consolidation reads it.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.extensions import Model, db
from portal.limits import check_lengths
from portal.plans.service import StaleEdit, clean_text
from portal.problems import DomainError
from portal.reports.consolidation import Consolidation, RunStatus
from portal.reports.narrative_compile import compiled_text
from portal.reports.report import NARRATIVE
from tenants.access import Reach
from tenants.membership import Role
from tenants.scoping import DistributionKeyed, TenantScoped

# A section compiled from a whole province's reports is longer than one unit's
# (limits.NARRATIVE): the edited text may be as long as four of them.
SECTION_LIMIT = 200_000


class ConsolidationNarrative(DistributionKeyed, TenantScoped, Model):
    __tablename__ = "consolidation_narrative"

    id: Mapped[int] = mapped_column(primary_key=True)
    consolidation_id: Mapped[int] = mapped_column(
        ForeignKey("consolidation.id", ondelete="CASCADE"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)   # the root
    results: Mapped[str] = mapped_column(Text, default="")
    difficulties: Mapped[str] = mapped_column(Text, default="")
    proposals: Mapped[str] = mapped_column(Text, default="")
    section_versions: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    saves: Mapped[int] = mapped_column(Integer, default=0)

    def section_version(self, name: str) -> int:
        return (self.section_versions or {}).get(name, 1)


class NarrativeError(DomainError):
    """The consolidated narrative cannot be saved as sent."""


EDIT_ROLES = frozenset({Role.CONSOLIDATOR})


def may_edit(reach: Reach, unit_id: int) -> bool:
    """Consolidators of the unit or a unit above it edit its consolidated narrative
    (PRODUCT.md § Who uses it): not its leaders, who read it, nor a platform operator,
    who is no member of the unit."""
    return not reach.platform_admin and reach.holds_above(unit_id, EDIT_ROLES)


def stored(consolidation: Consolidation) -> ConsolidationNarrative | None:
    return db.session.scalar(select(ConsolidationNarrative).where(
        ConsolidationNarrative.consolidation_id == consolidation.id))


def compiled(consolidation: Consolidation) -> dict[str, str]:
    """Each section compiled from the snapshot (what an unedited narrative shows)."""
    narrative = (consolidation.result or {}).get("narrative", {})
    return {name: compiled_text(narrative.get(name, [])) for name in NARRATIVE}


def texts(consolidation: Consolidation) -> dict[str, str]:
    """Each section as the report prints it: as edited, or as compiled."""
    row = stored(consolidation)
    if row is None:
        return compiled(consolidation)
    return {name: getattr(row, name) for name in NARRATIVE}


def versions(consolidation: Consolidation) -> dict[str, int]:
    row = stored(consolidation)
    return {name: row.section_version(name) if row else 1 for name in NARRATIVE}


def save_section(consolidation: Consolidation, name: str, text: str,
                 version: str | int | None, user_id: int | None) -> int:
    """Save one section (its version must be the one the page showed): the new version.

    The first save of a consolidation keeps the compiled text of the other sections too,
    so the report never mixes an edited section with one recompiled later."""
    if name not in NARRATIVE:
        raise NarrativeError({"": _("Unknown section.")})
    if consolidation.status != RunStatus.DONE.value:
        raise NarrativeError({"": _("The consolidation has not finished yet.")})
    row = stored(consolidation)
    shown = row.section_version(name) if row else 1
    try:
        seen = int(version) if version not in (None, "") else None
    except (TypeError, ValueError):
        seen = None
    if seen != shown:
        raise StaleEdit({name: texts(consolidation)[name]}, shown)
    check_lengths(NarrativeError, **{name: (text, SECTION_LIMIT)})
    if row is None:
        row = ConsolidationNarrative(consolidation_id=consolidation.id,
                                     unit_id=consolidation.unit_id, section_versions={},
                                     **compiled(consolidation))
        db.session.add(row)
    setattr(row, name, clean_text(text))
    row.section_versions = {**(row.section_versions or {}), name: shown + 1}
    row.updated_by_id, row.updated_at = user_id, clock.now()
    row.saves = (row.saves or 0) + 1
    db.session.flush()
    return shown + 1
