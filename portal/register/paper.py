"""Paper still exists: the scan of a document signed and stamped on paper ("bản giấy"),
kept beside its number. Checked like an evidence file (by content, size-limited) and
stored outside the database (portal.storage); never shown as digitally signed."""

from __future__ import annotations

import hashlib

from flask import current_app
from flask_babel import gettext as _

from portal import clock
from portal.extensions import db
from portal.register.entry import EntryStatus, RegisterEntry, SignedCopy
from portal.register.service import RegisterError
from portal.storage import Storage, StorageError, evidence_storage
from portal.uploads import ALLOWED, safe_filename, sniff

SCAN_TYPES = ("application/pdf", "image/png", "image/jpeg")


def scan_storage() -> Storage:
    """Scans live in the store of uploaded files (EVIDENCE_DIR)."""
    return evidence_storage()


def attach_paper_scan(entry: RegisterEntry, filename: str, data: bytes,
                      user_id: int | None) -> RegisterEntry:
    """Keep the scan of the signed paper document under its number; the entry becomes a
    paper copy. A digitally signed document keeps its signature: it takes no scan."""
    if entry.signed_copy == SignedCopy.DIGITAL.value:
        raise RegisterError({"file": _("This document is digitally signed; a paper scan "
                                       "is not recorded over it.")})
    if entry.status == EntryStatus.RECALLED.value:
        raise RegisterError({"file": _("This document was recalled.")})
    limit = current_app.config.get("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
    if not data:
        raise RegisterError({"file": _("Choose the scan to upload.")})
    if len(data) > limit:
        raise RegisterError({"file": _(
            "The file is %(size)s MB; at most %(limit)s MB are allowed.",
            size=round(len(data) / 1048576, 1), limit=round(limit / 1048576, 1))})
    found = sniff(data)
    if found is None or found[0] not in SCAN_TYPES:
        raise RegisterError({"file": _("A scan is a PDF or an image (PNG, JPEG); this "
                                       "file's content is none of them.")})
    kind, implied = found
    name = safe_filename(filename)
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if extension not in ALLOWED[kind]:
        raise RegisterError({"file": _(
            "The file is named %(name)s but its content is %(kind)s; rename it or upload "
            "the right file.", name=name, kind=implied.lstrip(".").upper())})
    try:
        key = scan_storage().save(data)
    except StorageError as exc:
        current_app.logger.error("scan storage failed: %s", exc)
        raise RegisterError({"file": _(
            "The file could not be stored (the server's storage is full or not writable); "
            "nothing was saved. Tell your administrator.")}) from exc
    entry.signed_copy = SignedCopy.PAPER.value
    entry.scan_key, entry.scan_filename = key, name
    entry.scan_content_type, entry.scan_size = kind, len(data)
    entry.scan_sha256 = hashlib.sha256(data).hexdigest()
    entry.scan_uploaded_at, entry.scan_uploaded_by_id = clock.now(), user_id
    try:
        db.session.flush()
    except Exception:
        scan_storage().delete(key)  # no file without its record
        raise
    return entry
