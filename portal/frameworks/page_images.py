"""Check against the page: the page images a framework version was read from, the page
(and line) each outline node came from, and how sure the OCR was of each page.

When a plan arrives as a PDF or a scan, each page's image is kept, scaled down to
``PAGE_WIDTH`` pixels (a grey JPEG, at most ``PAGE_IMAGE_MAX_BYTES``), in the page store
(``portal.storage.page_storage``), with a ``DocumentPage`` row under row-level security
read like the outline. A scan's pages are kept by the OCR job as it reads them
(``portal.frameworks.ingest.run_ingest``); a PDF with a text layer has its pages rendered
by ``pdftoppm`` in a background job (``render_text_pages``) after its draft is made.

Each outline node is looked up on the pages' lines in document order (letters and digits
only, diacritics and case set aside, so OCR's lost accents and the parser's mended words
still match): the node records its page and the box of the line it starts on. A node
that cannot be found gets the page of the node before it, without a box.

The review (``page_review``) lists as warnings, each with its page: every page the OCR
read with a confidence under ``LOW_CONFIDENCE`` (Tesseract's 0-100, averaged over the
page's words) and every warning and automatic correction the parser reported.
"""

from __future__ import annotations

import io
import logging
import os
import secrets
import subprocess
import tempfile
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select

from portal.extensions import db
from portal.frameworks.document_page import DocumentPage
from portal.frameworks.framework import FrameworkNode, FrameworkVersion
from portal.frameworks.layout import Line, Page
from portal.frameworks.ocr import LOW_CONFIDENCE, PAGE_SECONDS, OcrText
from portal.frameworks.pages import VersionParts, version_parts
from portal.jobs import JobsUnavailable, enqueue, in_app_context
from portal.storage import StorageError, page_storage
from tenants.scoping import Scope, use_scope

log = logging.getLogger(__name__)

__all__ = [
    "LOW_CONFIDENCE",
    "PAGE_IMAGE_MAX_BYTES",
    "PAGE_WIDTH",
    "keep_pages",
    "locate_nodes",
    "page_review",
    "render_text_pages",
    "schedule_text_pages",
]

PAGE_WIDTH = 1000                  # pixels: an A4 page read at about 120 dpi
PAGE_QUALITY = 70                  # JPEG quality; lowered until the page fits
PAGE_IMAGE_MAX_BYTES = 1_000_000   # a kept page image; a text page is 100-250 KB
QUEUE = "exports"                  # the queue of the OCR job and other long jobs


@dataclass
class PageImage:
    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


def preview(source: Path | bytes) -> PageImage | None:
    """A page image scaled to ``PAGE_WIDTH`` as a grey JPEG under the size limit, or None
    when it cannot be made that small (or read)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
            grey = image.convert("L")
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
        log.warning("cannot read a page image for the review")
        return None
    width = PAGE_WIDTH
    for quality in (PAGE_QUALITY, 55, 40):
        if grey.width > width:
            scaled = grey.resize((width, max(1, round(grey.height * width / grey.width))),
                                 Image.Resampling.LANCZOS)
        else:
            scaled = grey
        out = io.BytesIO()
        scaled.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= PAGE_IMAGE_MAX_BYTES:
            return PageImage(out.getvalue(), scaled.width, scaled.height)
        width = int(width * 0.8)
    return None


@dataclass
class PageImages:
    """What the OCR job hands over page by page (``read_scan(keep_image=…)``)."""

    images: dict[int, PageImage] = field(default_factory=dict)

    def keep(self, number: int, path: Path) -> None:
        image = preview(path)
        if image is not None:
            self.images[number] = image


@dataclass
class SourcePage:
    """One page as read: its lines (with boxes), its image, its OCR confidence."""

    number: int
    layout: Page
    image: PageImage | None
    confidence: float | None = None     # None: a text layer, not OCR
    words: int = 0


def scan_pages(scan: OcrText, images: PageImages) -> list[SourcePage]:
    return [SourcePage(seen.number, layout, images.images.get(seen.number),
                       seen.confidence, seen.words)
            for seen, layout in zip(scan.confidence, scan.layout, strict=False)]


# ---- where each node was read --------------------------------------------------------


def _key(text: str) -> str:
    """Letters and digits only, without diacritics or case: OCR's and the parser's
    versions of a line compare equal."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed.lower() if c.isalnum() and c.isascii())


def _needles(node: FrameworkNode) -> list[str]:
    title, text = _key(node.title), _key(node.text)
    candidates = [_key(node.label) + title[:40], title[:40], title[:16], text[:40], text[:16]]
    return [c for c in dict.fromkeys(candidates) if len(c) >= 4]


def _box(line: Line, page: Page) -> list[float] | None:
    words = [w for s in line.segments for w in s.words]
    if not words or page.width <= 0 or page.height <= 0:
        return None
    left, right = min(w.x0 for w in words), max(w.x1 for w in words)
    top, bottom = min(w.top for w in words), max(w.bottom for w in words)
    return [round(max(0.0, min(1.0, v)), 4) for v in (
        left / page.width, top / page.height, right / page.width, bottom / page.height)]


def locate_nodes(nodes: Iterable[FrameworkNode], pages: list[Page]) -> None:
    """Set each node's ``page`` and ``box`` from where its heading (or text) starts."""
    starts: list[int] = []
    where: list[tuple[int, Line, Page]] = []
    pieces: list[str] = []
    offset = 0
    for number, page in enumerate(pages, start=1):
        for line in page.lines:
            key = _key(line.text)
            if key:
                starts.append(offset)
                where.append((number, line, page))
                pieces.append(key)
                offset += len(key)
    text = "".join(pieces)
    cursor, last_page = 0, None
    for node in sorted(nodes, key=lambda n: n.position):
        for needle in _needles(node):
            found = text.find(needle, cursor)
            if found >= 0:
                number, line, page = where[bisect_right(starts, found) - 1]
                node.page, node.box = number, _box(line, page)
                cursor, last_page = found + len(needle), number
                break
        else:
            node.page, node.box = last_page, None


# ---- keeping the pages -----------------------------------------------------------------


def keep_pages(version: FrameworkVersion, pages: list[SourcePage]) -> list[str]:
    """Store the pages' images, record them and where each node was read. Flushes only;
    returns the storage keys written (to delete if the transaction does not commit)."""
    store = page_storage()
    keys: list[str] = []
    for page in pages:
        if page.image is None:
            continue
        try:
            key = store.save(page.image.data)
        except StorageError:
            log.exception("cannot keep page %s of version %s", page.number, version.id)
            continue
        keys.append(key)
        db.session.add(DocumentPage(
            version_id=version.id, owner_unit_id=version.owner_unit_id, number=page.number,
            storage_key=key, content_type=page.image.content_type, width=page.image.width,
            height=page.image.height, size=len(page.image.data),
            source="text" if page.confidence is None else "ocr",
            confidence=page.confidence, words=page.words))
    nodes = list(db.session.scalars(select(FrameworkNode).where(
        FrameworkNode.version_id == version.id)))
    locate_nodes(nodes, [p.layout for p in pages])
    db.session.flush()
    return keys


def forget_images(keys: list[str]) -> None:
    store = page_storage()
    for key in keys:
        try:
            store.delete(key)
        except StorageError:
            log.warning("cannot delete page image %s", key)


def render_pdf_pages(data: bytes) -> dict[int, PageImage]:
    """Each page of a PDF rendered by ``pdftoppm`` at ``PAGE_WIDTH`` pixels wide, one
    process a page with a time limit (as the OCR's pages are)."""
    from portal.frameworks.pdf import page_count

    out: dict[int, PageImage] = {}
    with tempfile.TemporaryDirectory(prefix="pages-") as folder:
        source = Path(folder) / "source.pdf"
        source.write_bytes(data)
        for number in range(1, page_count(data) + 1):
            prefix = Path(folder) / f"page-{number}"
            try:
                subprocess.run(  # noqa: S603  # a fixed tool, our own file names
                    ["pdftoppm", "-f", str(number), "-l", str(number), "-scale-to-x",  # noqa: S607  # poppler-utils on the PATH, as for the OCR
                     str(PAGE_WIDTH), "-scale-to-y", "-1", "-gray", "-png", "-singlefile",
                     str(source), str(prefix)],
                    check=True, capture_output=True, timeout=PAGE_SECONDS,
                    env={**os.environ, "OMP_THREAD_LIMIT": "1"})
            except (OSError, subprocess.SubprocessError):
                log.warning("cannot render page %s for the review", number)
                continue
            image = preview(prefix.with_suffix(".png"))
            if image is not None:
                out[number] = image
    return out


def schedule_text_pages(version_id: int, unit_id: int, data: bytes) -> None:
    """After a PDF with a text layer became a draft: render its pages in the background
    (in-process without Redis). A page store or queue that fails leaves the draft
    without page images, logged; the draft itself stands."""
    try:
        key = page_storage().save(data)
    except StorageError:
        log.exception("cannot keep the PDF of version %s to render its pages", version_id)
        return
    try:
        enqueue(QUEUE, render_text_pages, version_id, unit_id, key,
                job_id=f"pages-{secrets.token_hex(8)}", timeout="1h")
    except JobsUnavailable:
        log.warning("cannot queue the page images of version %s", version_id)
        forget_images([key])


@in_app_context
def render_text_pages(version_id: int, unit_id: int, key: str) -> str:
    """The job: render a text-layer PDF's pages, keep them, locate the nodes. Idempotent
    (a version that has pages is left alone); the PDF is deleted from the store."""
    from portal.frameworks.pdf import PdfError, read_text_layer

    with use_scope(Scope(subtree_roots=frozenset({unit_id}))):
        try:
            version = db.session.get(FrameworkVersion, version_id)
            if version is None or db.session.scalar(select(DocumentPage.id).where(
                    DocumentPage.version_id == version_id).limit(1)) is not None:
                db.session.rollback()
                return "nothing to do"
            with page_storage().open(key) as handle:
                data = handle.read()
            text = read_text_layer(data)
            images = render_pdf_pages(data)
            keys = keep_pages(version, [SourcePage(n, page, images.get(n))
                                        for n, page in enumerate(text.layout, start=1)])
            try:
                db.session.commit()
            except Exception:
                db.session.rollback()
                forget_images(keys)
                raise
        except (StorageError, PdfError):
            db.session.rollback()
            log.exception("cannot render the pages of version %s", version_id)
            return "failed"
        finally:
            forget_images([key])
    return "done"


# ---- the review ----------------------------------------------------------------------


@dataclass
class ReviewWarning:
    """A warning of the review: the parser's (``{code, at, message, params}``, shown by
    ``service.warning_text``) with the page it concerns, if known."""

    warning: dict[str, Any]
    page: int | None


@dataclass
class PageReview:
    parts: VersionParts
    pages: list[DocumentPage]
    boxes: dict[int, list[FrameworkNode]]      # page number -> its nodes with a box
    warnings: list[ReviewWarning]
    # the reading's automatic corrections ({page, kind, at, before, after, message}):
    # each restoration the parser made, from the ingest the draft came from
    corrections: list[dict[str, Any]] = field(default_factory=list)
    low_confidence: int = LOW_CONFIDENCE


def low_confidence_warnings(pages: list[DocumentPage]) -> list[ReviewWarning]:
    """One warning per OCR'd page read with a confidence under ``LOW_CONFIDENCE``."""
    return [ReviewWarning({"code": "ocr-page", "at": f"trang {p.number}",
                           "message": f"page {p.number} read with confidence "
                                      f"{p.confidence:.0f}; check it against the scan",
                           "params": {"page": p.number, "confidence": round(p.confidence)}},
                          p.number)
            for p in pages if p.confidence is not None and p.confidence < LOW_CONFIDENCE]


def review_warnings(warnings: list[dict[str, Any]], pages: list[DocumentPage],
                    nodes: list[FrameworkNode]) -> list[ReviewWarning]:
    """The low-confidence pages (from the kept pages, so the parser's own page warnings
    are not listed twice when there are pages), then every warning and correction the
    parser reported, each with its page: the one its ``params`` name, else the page of
    the outline item its ``at`` points to (or of the nearest item above it)."""
    by_path = {n.path: n.page for n in nodes if n.page}
    out = low_confidence_warnings(pages)
    for warning in warnings:
        if warning.get("code") == "ocr-page" and pages:
            continue
        params = warning.get("params") or {}
        page = params.get("page") if isinstance(params.get("page"), int) else None
        at = warning.get("at") or ""
        while page is None and at:
            page = by_path.get(at)
            at = at.rpartition(".")[0]
        out.append(ReviewWarning(warning, page))
    return out


def page_review(version: FrameworkVersion) -> PageReview:
    """The draft beside its pages: outline, page images, nodes per page, warnings."""
    parts = version_parts(version)
    pages = list(db.session.scalars(select(DocumentPage).where(
        DocumentPage.version_id == version.id).order_by(DocumentPage.number)))
    boxes: dict[int, list[FrameworkNode]] = {}
    for node in parts.nodes:
        if node.page and node.box:
            boxes.setdefault(node.page, []).append(node)
    return PageReview(parts=parts, pages=pages, boxes=boxes,
                      warnings=review_warnings(version.warnings or [], pages, parts.nodes),
                      corrections=corrections_of(version))


def corrections_of(version: FrameworkVersion) -> list[dict[str, Any]]:
    """The automatic corrections of the scan the framework was read from (none for a
    draft made from a text or a text-layer PDF, whose reading keeps no ingest row)."""
    from portal.frameworks.document_ingest import DocumentIngest

    corrections = db.session.scalar(select(DocumentIngest.corrections).where(
        DocumentIngest.framework_id == version.framework_id,
        DocumentIngest.status == "done").order_by(DocumentIngest.id.desc()).limit(1))
    return list(corrections or [])


def page_of(version: FrameworkVersion, number: int) -> DocumentPage | None:
    """The version's page ``number``, or None (another version's is not found)."""
    return db.session.scalar(select(DocumentPage).where(
        DocumentPage.version_id == version.id, DocumentPage.number == number))


def open_page(page: DocumentPage) -> BinaryIO:
    """The page's image; ``StorageError`` when the store has lost it."""
    return page_storage().open(page.storage_key)
