"""Documents in as they arrive: a text file, a Word file, a signed PDF or a scan.

A document with text (``.txt``, ``.docx``, a PDF with a text layer) becomes a framework
draft at once. A scan (a PDF whose pages have no text layer, or only a stamp's, or an
image) is kept as a ``DocumentIngest`` row and read by OCR in a background job on the
``exports`` queue (``portal.jobs``: RQ with Redis, in-process without), page by page,
with the page it is on as its progress; the draft it becomes carries the OCR's
per-page confidence and every low-confidence page as warnings, beside the parser's own
corrections (labels and numbers read through OCR damage). The pages of a scan or a PDF
are kept for the owner to check the outline against (``portal.frameworks.page_images``).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from statistics import mean

from flask_babel import gettext as _
from sqlalchemy import update

from portal import clock
from portal.extensions import db
from portal.frameworks.document_ingest import DocumentIngest
from portal.frameworks.framework import Framework
from portal.frameworks.ocr import LOW_CONFIDENCE, OcrError, count_pages, image_kind, read_scan
from portal.frameworks.page_images import (
    PageImages,
    SourcePage,
    forget_images,
    keep_pages,
    scan_pages,
    schedule_text_pages,
)
from portal.frameworks.parser import (
    Correction,
    DocumentError,
    ParseResult,
    Warning_,
    parse_file,
    parse_pages,
)
from portal.frameworks.service import (
    FrameworkError,
    create_from_parsed,
    document_message,
)
from portal.jobs import JobsUnavailable, enqueue, in_app_context, job_progress
from portal.unit_of_work import unit_of_work
from tenants.scoping import Scope, use_scope
from tenants.unit import Unit

log = logging.getLogger(__name__)

QUEUE = "exports"   # the queue of other long, user-started jobs (Word and Excel exports)


@dataclass
class Received:
    framework_id: int | None = None     # read at once
    ingest_id: int | None = None        # a scan, being read in the background


def ocr_message(error: OcrError) -> str:
    params = error.params
    messages = {
        "ocr-pages": lambda: _("The scan has %(pages)d pages; at most %(limit)d can be "
                               "read. Upload the plan itself, without annexes.", **params),
        "ocr-pixels": lambda: _("A page of the scan is too large to read. Scan it again "
                                "at 300 dpi, A4."),
        "ocr-timeout": lambda: _("A page took too long to read (over %(seconds)d "
                                 "seconds). Scan it again at 300 dpi.", **params),
        "ocr-failed": lambda: _("The scan could not be read. Scan it again as PDF, PNG or "
                                "JPEG, then upload it."),
        "ocr-missing": lambda: _("Scanned documents cannot be read on this server: its "
                                 "text recognition (Tesseract) is not installed."),
    }
    text = messages.get(error.code)
    return text() if text else str(error)


def receive(owner: Unit, filename: str, data: bytes, *, user_id: int | None,
            name: str | None = None, parent: Framework | None = None) -> Received:
    """Take an uploaded plan as it comes. Owns its transactions (a scan's row is
    committed before its job is queued). Refusals raise ``FrameworkError``."""
    parsed: ParseResult | None = None
    if not image_kind(data):
        try:
            parsed = parse_file(filename, data)
        except DocumentError as exc:
            if exc.code != "scan":
                raise FrameworkError([document_message(exc)]) from exc
    if parsed is not None:
        with unit_of_work():
            framework = create_from_parsed(owner, filename, parsed, user_id=user_id,
                                           name=name, parent=parent)
            framework_id, version_id = framework.id, framework.versions[0].id
        if data.startswith(b"%PDF"):      # its pages, to check the outline against
            schedule_text_pages(version_id, owner.id, data)
        return Received(framework_id=framework_id)
    try:
        pages = count_pages(data)       # the limits, before anything is kept or queued
    except OcrError as exc:
        raise FrameworkError([ocr_message(exc)]) from exc
    except DocumentError as exc:
        raise FrameworkError([document_message(exc)]) from exc
    with unit_of_work():
        row = DocumentIngest(unit_id=owner.id, filename=filename[:255], name=name or "",
                             parent_id=parent.id if parent else None, data=data,
                             pages=pages, requested_by_id=user_id,
                             job_id=f"ocr-{secrets.token_hex(8)}")
        db.session.add(row)
        db.session.flush()
        row_id, job_id = row.id, row.job_id
    try:
        enqueue(QUEUE, run_ingest, row_id, owner.id, job_id=job_id, timeout="2h")
    except JobsUnavailable as exc:
        with unit_of_work():
            db.session.delete(db.session.get_one(DocumentIngest, row_id))
        raise FrameworkError([_("The scan cannot be read now: the job queue is not "
                                "reachable. Try again later.")]) from exc
    return Received(ingest_id=row_id)


def _mark(ingest_id: int, **values: object) -> None:
    """Progress in its own short transaction, so the page sees it while the job runs."""
    db.session.execute(update(DocumentIngest).where(
        DocumentIngest.id == ingest_id, DocumentIngest.status != "done").values(**values))
    db.session.commit()
    if "progress" in values:
        job_progress(int(values["progress"]), f"page {values.get('page', 0)}")  # type: ignore[call-overload]  # an int given as object


@in_app_context
def run_ingest(ingest_id: int, unit_id: int) -> str:
    """The job: OCR the scan page by page, parse it, make the draft. Idempotent: a row
    already done is left alone, and "done" is written with the framework in one
    transaction that only a not-yet-done row accepts."""
    with use_scope(Scope(subtree_roots=frozenset({unit_id}))):
        row = db.session.get(DocumentIngest, ingest_id)
        if row is None or row.status == "done" or row.data is None:
            db.session.rollback()
            return "nothing to do"
        data, filename = row.data, row.filename
        _mark(ingest_id, status="running", progress=1, page=0, error="")

        def progress(page: int, pages: int) -> None:
            _mark(ingest_id, progress=1 + int(94 * (page - 1) / pages), page=page,
                  pages=pages)

        try:
            images = PageImages()
            scan = read_scan(data, progress, images.keep)
            parsed = parse_pages(scan.pages)
            confidence = [{"page": p.number, "confidence": p.confidence, "words": p.words}
                          for p in scan.confidence]
            parsed.warnings[:0] = ocr_warnings(scan.confidence)
            return _finish(ingest_id, unit_id, filename, parsed, confidence,
                           scan_pages(scan, images))
        except (OcrError, DocumentError, FrameworkError) as exc:
            db.session.rollback()
            message = (ocr_message(exc) if isinstance(exc, OcrError) else
                       document_message(exc) if isinstance(exc, DocumentError)
                       else "; ".join(exc.messages))
            _mark(ingest_id, status="failed", progress=100, error=message[:500],
                  finished_at=clock.now())
            return "failed"
        except Exception:
            db.session.rollback()
            _mark(ingest_id, status="failed", progress=100, finished_at=clock.now(),
                  error=_("The scan could not be read because of an error on the server."))
            log.exception("OCR of document ingest %s failed", ingest_id)
            if _in_worker():
                raise                  # RQ records it and retries
            return "failed"            # in-process: the upload's request must not fail


def _in_worker() -> bool:
    from rq import get_current_job

    return get_current_job() is not None


def ocr_warnings(pages: list) -> list[Warning_]:  # list[OcrPage]
    """One warning saying the text was read by OCR, and one per low-confidence page."""
    scores = [p.confidence for p in pages]
    out = [Warning_("ocr", None, f"read by OCR from a scan of {len(pages)} pages, mean "
                                 f"confidence {mean(scores) if scores else 0:.0f}",
                    {"pages": len(pages), "confidence": round(mean(scores)) if scores else 0,
                     "per_page": ", ".join(f"{p.number}: {p.confidence:.0f} %"
                                           for p in pages)})]
    for page in pages:
        if page.confidence < LOW_CONFIDENCE:
            out.append(Warning_("ocr-page", f"trang {page.number}",
                                f"page {page.number} read with confidence "
                                f"{page.confidence:.0f}; check it against the scan",
                                {"page": page.number, "confidence": round(page.confidence)}))
    return out


def correction_message(correction: Correction) -> str:
    """One automatic correction in the reader's language, with its page if known."""
    params = {"before": correction.before, "after": correction.after,
              "at": correction.at or ""}
    texts = {
        "label": lambda: _("The label “%(before)s” was read as “%(after)s”, from the "
                           "sequence it stands in (item %(at)s); check it.", **params),
        "number": lambda: _("The document number was read as “%(after)s” from "
                            "“%(before)s”; check it.", **params),
        "name": lambda: _("“%(before)s” was given back its diacritics from the official "
                          "list of units: “%(after)s”; check it.", **params),
    }
    text = texts[correction.kind]() if correction.kind in texts else \
        f"{correction.before} → {correction.after}"
    if correction.page:
        return _("Page %(page)d: %(text)s", page=correction.page, text=text)
    return text


def correction_list(parsed: ParseResult) -> list[dict]:
    """The reading's automatic corrections as the ingest row keeps them (JSON):
    ``{"page", "kind", "at", "before", "after", "message"}``, in document order."""
    return [{**c.as_dict(), "message": correction_message(c)} for c in parsed.corrections]


def _finish(ingest_id: int, unit_id: int, filename: str, parsed: ParseResult,
            confidence: list[dict], pages: list[SourcePage]) -> str:
    row = db.session.get_one(DocumentIngest, ingest_id)
    owner = db.session.get_one(Unit, unit_id)
    parent = db.session.get(Framework, row.parent_id) if row.parent_id else None
    framework = create_from_parsed(owner, filename, parsed, user_id=row.requested_by_id,
                                   name=row.name or None, parent=parent)
    kept = keep_pages(framework.versions[0], pages)    # the page images, for the review
    written = db.session.execute(update(DocumentIngest).where(
        DocumentIngest.id == ingest_id, DocumentIngest.status != "done").values(
        status="done", progress=100, framework_id=framework.id, confidence=confidence,
        corrections=correction_list(parsed),
        data=None, finished_at=clock.now())).rowcount  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
    if not written:
        db.session.rollback()
        forget_images(kept)
        return "nothing to do"
    db.session.commit()
    job_progress(100, "done")
    return "done"
