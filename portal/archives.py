"""One check of every uploaded Office file (.docx, .xlsx: ZIP archives of XML parts)
before anything parses it, so a small upload cannot unpack into gigabytes of memory.

``check_archive`` refuses, with a message in the person's language:

- more parts than ``max_parts`` (counted from the archive's end record, before
  ``zipfile`` builds one object per part);
- more than ``max_total`` bytes once unpacked, or more than ``max_xml`` bytes of XML
  (what python-docx and openpyxl hold in memory as trees), counting the bytes actually
  unpacked, not the sizes the archive claims;
- a part that unpacks more than ``max_ratio`` times its packed size (past 1 MB: small
  parts of repeated markup legitimately pack well);
- any XML part with a document type declaration (``<!DOCTYPE``, ``<!ENTITY``): Office
  never writes one, and it is how "billion laughs" and external-entity files work.

Parts are unpacked in chunks of 64 KB and dropped, so the check itself holds no part in
memory. The limits and the peak memory measured against them are in docs/frameworks.md
(benchmarks/upload_memory.py).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

from flask_babel import gettext as _

from portal.problems import DomainError

MB = 1024 * 1024
CHUNK = 64 * 1024
# "<!DOCTYPE" and "<!ENTITY" as UTF-8 and as UTF-16 (an XML part may be either)
_DECLARATIONS = tuple(word.encode(codec) for word in ("<!DOCTYPE", "<!ENTITY")
                      for codec in ("utf-8", "utf-16-le", "utf-16-be"))
_OVERLAP = max(len(d) for d in _DECLARATIONS)


class ArchiveError(DomainError):
    """The uploaded Office file is refused before it is read; ``reason`` says why."""

    def __init__(self, reason: str, message: str):
        super().__init__({"file": message})
        self.reason = reason


@dataclass(frozen=True)
class ArchiveLimits:
    max_parts: int = 2000
    max_total: int = 64 * MB
    max_xml: int = 8 * MB
    max_ratio: int = 100
    ratio_from: int = 1 * MB


OFFICE = ArchiveLimits()


def declared_parts(data: bytes) -> int | None:
    """The number of parts the archive's end record declares (None: no end record)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))
    if end < 0 or len(data) < end + 22:
        return None
    (count,) = struct.unpack("<H", data[end + 10:end + 12])
    return count


def _too_big() -> ArchiveError:
    return ArchiveError("too-large", _(
        "The file unpacks to more than a document of this kind can hold (it is compressed "
        "abnormally, or is far too large); save it again from Word or Excel, or split it."))


def _too_many(limits: ArchiveLimits) -> ArchiveError:
    return ArchiveError("parts", _(
        "The file holds more than %(max)d parts, more than any Office document; save it "
        "again from Word or Excel.", max=limits.max_parts))


def check_parts(data: bytes, limits: ArchiveLimits = OFFICE) -> None:
    """Only the count of parts (for files that are stored, never unpacked)."""
    count = declared_parts(data)
    if count is not None and (count == 0xFFFF or count > limits.max_parts):  # 0xFFFF: ZIP64
        raise _too_many(limits)


def check_archive(data: bytes, limits: ArchiveLimits = OFFICE) -> None:
    """Refuse the archive unless it is safe to hand to python-docx or openpyxl."""
    check_parts(data, limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, struct.error, EOFError,
            NotImplementedError, OSError) as exc:
        raise ArchiveError("corrupt", _(
            "The file is damaged or is not an Office document; open it in Word or Excel, "
            "save it again and upload it.")) from exc
    if len(parts) > limits.max_parts:
        raise _too_many(limits)
    if sum(p.file_size for p in parts) > limits.max_total:
        raise _too_big()
    total = xml = 0
    with archive:
        for part in parts:
            unpacked = _unpack_and_scan(archive, part, limits, total)
            total += unpacked.size
            if unpacked.is_xml:
                xml += unpacked.size
            if total > limits.max_total or xml > limits.max_xml:
                raise _too_big()


@dataclass
class _Unpacked:
    size: int
    is_xml: bool


def _unpack_and_scan(archive: zipfile.ZipFile, part: zipfile.ZipInfo,
                     limits: ArchiveLimits, so_far: int) -> _Unpacked:
    """Unpack one part chunk by chunk: its real size, whether it is XML, and no
    document type declaration in it."""
    size, is_xml, tail = 0, False, b""
    budget = limits.max_total - so_far
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(CHUNK):
                if size == 0:
                    head = chunk.lstrip(b"\xef\xbb\xbf \t\r\n")
                    is_xml = head.startswith((b"<", b"\xff\xfe<", b"\xfe\xff\x00<")) or \
                        part.filename.endswith((".xml", ".rels", ".vml"))
                size += len(chunk)
                if size > budget:
                    raise _too_big()
                if size > limits.ratio_from and size > limits.max_ratio * max(
                        part.compress_size, 1):
                    raise ArchiveError("ratio", _(
                        "The file is compressed abnormally (a part unpacks to more than "
                        "%(ratio)d times its size): it is refused. Save it again from Word "
                        "or Excel.", ratio=limits.max_ratio))
                if is_xml:
                    window = tail + chunk
                    if any(d in window for d in _DECLARATIONS):
                        raise ArchiveError("doctype", _(
                            "The file contains a document type declaration (DOCTYPE or "
                            "ENTITY), which Word and Excel never write: it is refused. "
                            "Save it again from Word or Excel."))
                    tail = window[-_OVERLAP:]
    except ArchiveError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError,
            RuntimeError, ValueError, struct.error) as exc:  # bad CRC, method, encrypted
        raise ArchiveError("corrupt", _(
            "The file is damaged or is not an Office document; open it in Word or Excel, "
            "save it again and upload it.")) from exc
    return _Unpacked(size, is_xml)
