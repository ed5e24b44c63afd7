"""A page image of the document a framework version was read from, kept so its owner can
check the parsed outline against the page (``portal.frameworks.page_images``)."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from tenants.scoping import SharedDownTree


class DocumentPage(SharedDownTree, Model):
    """One page: its image in the page store, and how sure the OCR was of its words."""

    __tablename__ = "document_page"
    __table_args__ = (UniqueConstraint("version_id", "number", name="uq_document_page_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("framework_version.id", ondelete="CASCADE"), index=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)               # 1-based
    storage_key: Mapped[str] = mapped_column(String(64))       # portal.storage key
    content_type: Mapped[str] = mapped_column(String(40), default="image/jpeg")
    width: Mapped[int] = mapped_column(Integer)                # pixels of the kept image
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)                 # bytes
    source: Mapped[str] = mapped_column(String(10))            # "ocr" or "text" (a text layer)
    # Tesseract's word confidence averaged over the page, 0-100; None for a text layer.
    confidence: Mapped[float | None] = mapped_column(Float)
    words: Mapped[int] = mapped_column(Integer, default=0)
