"""What an uploaded file is, by the bytes it starts with (never by its name alone), and
the name it is shown under: the checks every upload shares (evidence, paper scans)."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

# What an evidence file may be, by the bytes it starts with (never by its name alone).
ALLOWED = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "application/msword": (".doc", ".xls", ".ppt"),
}
OFFICE_PARTS = {"word/": ".docx", "xl/": ".xlsx", "ppt/": ".pptx"}


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, the extension it implies) from the file's own bytes, or None."""
    if data.startswith(b"%PDF-"):
        return "application/pdf", ".pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif", ".gif"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # the old Office format
        return "application/msword", ".doc"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" not in names:
            return None
        for prefix, extension in OFFICE_PARTS.items():
            if any(n.startswith(prefix) for n in names):
                kind = next(k for k, v in ALLOWED.items() if extension in v)
                return kind, extension
    return None


def safe_filename(name: str) -> str:
    """A display name: NFC, no path, no control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", name).strip(" .")
    return name[:200] or "tep"
