"""Loading a plan document as a framework in one step (command line, demo data)."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.presets import PRESETS
from portal.frameworks.service import (
    FrameworkError,
    add_default_periods,
    apply_indicator_settings,
    create_from_document,
    update_meta,
)
from portal.frameworks.service import publish as publish_version
from tenants.unit import Unit


def load_framework(filename: str, data: bytes, owner_code: str, *, name: str | None = None,
                   number: str | None = None, issued_on: str | None = None,
                   issuer: str | None = None, preset: str | None = None,
                   periods: str | None = None, parent_id: int | None = None,
                   publish: bool = False) -> Framework:
    """Create a framework from a document, fill in what its header lacks, and so on."""
    owner = db.session.scalar(select(Unit).where(Unit.code == owner_code))
    if owner is None:
        raise FrameworkError([f"unit {owner_code} does not exist"])
    years = _years(periods) if periods else []
    parent = None
    if parent_id is not None:
        parent = db.session.scalar(select(Framework).where(Framework.id == parent_id))
        if parent is None:
            raise FrameworkError([f"framework {parent_id} does not exist"])
    framework = create_from_document(owner, filename, data, name=name, parent=parent)
    version = framework.versions[-1]
    update_meta(version, {
        "doc_number": number or version.doc_number or "",
        "issued_on": issued_on or (version.issued_on.strftime("%d/%m/%Y")
                                   if version.issued_on else ""),
        "issuer": issuer or version.issuer or "", "place": version.place or "",
        "title": version.title})
    if preset:
        apply_indicator_settings(version, PRESETS[preset])
    if years:
        add_default_periods(framework, years)
    if publish:
        publish_version(version, None)
    return framework


def _years(text: str) -> list[int]:
    try:
        if "-" in text:
            first, last = (int(part) for part in text.split("-", 1))
            return list(range(first, last + 1))
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise FrameworkError([f"--periods {text!r}: give years as 2025-2030 or "
                              "2025,2026"]) from None
