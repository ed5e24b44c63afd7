"""The PDF of record: a Word document turned into PDF by LibreOffice without a display,
then checked (A4, every font embedded, page numbers from page 2 on) and given the empty
signature fields the signer and the organisation fill in (Decree 30 Appendix I).

LibreOffice runs in a process of its own with a temporary profile per conversion (two
conversions never share one, which LibreOffice does not allow) and a time limit.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _

from portal.problems import DomainError

# A4 in PDF points, with a millimetre of slack either way.
A4 = (595.28, 841.89)
A4_SLACK = 3.0
MM = 72 / 25.4
CONVERT_TIMEOUT = 120            # seconds; a document that takes longer is refused
SIGNER_FIELD = "NguoiKy"         # the signer's signature, between title and name
ORGANISATION_FIELD = "CoQuan"    # the organisation's, its seal over the signer's image
SIGNATURE_BOX = (50 * MM, 22 * MM)   # width, height of the signer's signature image
SEAL_SIZE = 36 * MM                  # the seal at actual size (about 36 mm across)


class RenderError(DomainError):
    """The PDF of record could not be made or is not fit to be signed."""

    def __init__(self, problems: list[str], code: str = "render"):
        super().__init__(problems)
        self.code = code


@dataclass(frozen=True)
class Layout:
    """Where the signatures go: a page index and a box (x1, y1, x2, y2) in points each."""

    page: int
    signer: tuple[float, float, float, float]
    organisation: tuple[float, float, float, float]


def office_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx: bytes, timeout: int = CONVERT_TIMEOUT) -> bytes:
    """The PDF LibreOffice makes of the Word document (fonts embedded, as it always does)."""
    office = office_binary()
    if office is None:
        raise RenderError([_("LibreOffice (soffice) is not installed on this server: install "
                             "libreoffice-writer-nogui (scripts/setup.sh does) to make PDFs.")],
                          code="office-missing")
    with tempfile.TemporaryDirectory(prefix="pdf-record-") as folder:
        work = Path(folder)
        source = work / "document.docx"
        source.write_bytes(docx)
        profile = (work / "profile").as_uri()
        try:
            done = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
                [office, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                 "--nolockcheck", "--convert-to", "pdf:writer_pdf_Export",
                 "--outdir", str(work), str(source)],
                capture_output=True, timeout=timeout, check=False,
                env={**os.environ, "HOME": folder})
        except subprocess.TimeoutExpired as exc:
            raise RenderError([_("LibreOffice took longer than %(seconds)d s to make the PDF.",
                                 seconds=timeout)],
                              code="office-timeout") from exc
        target = work / "document.pdf"
        if done.returncode != 0 or not target.exists():
            raise RenderError([_("LibreOffice could not convert the document (exit %(code)s).",
                                 code=done.returncode)],
                              code="office-failed")
        return target.read_bytes()


@dataclass(frozen=True)
class PdfFacts:
    pages: int
    a4: bool
    fonts: dict[str, bool]          # font name -> embedded
    numbered: bool                  # pages 2… carry their number


def facts(pdf: bytes) -> PdfFacts:
    """What the checks of a PDF of record look at."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    a4 = all(_is_a4(page) for page in reader.pages)
    fonts: dict[str, bool] = {}
    for page in reader.pages:
        resources = page.get("/Resources")
        fonts_used = resources.get_object().get("/Font") if resources is not None else None
        for font in (fonts_used.get_object() if fonts_used is not None else {}).values():
            _font_facts(font.get_object(), fonts)
    numbered = all(str(number) in _first_lines(page)
                   for number, page in enumerate(reader.pages, start=1) if number > 1)
    return PdfFacts(pages=len(reader.pages), a4=a4, fonts=fonts, numbered=numbered)


def _is_a4(page: object) -> bool:
    box = page.mediabox  # type: ignore[attr-defined]  # a pypdf page
    size = sorted((float(box.width), float(box.height)))
    return abs(size[0] - A4[0]) <= A4_SLACK and abs(size[1] - A4[1]) <= A4_SLACK


def _font_facts(font: dict, out: dict[str, bool]) -> None:
    name = str(font.get("/BaseFont", "?"))
    if font.get("/Subtype") == "/Type3":
        out[name] = True                    # drawn by the PDF itself
        return
    descendants = font.get("/DescendantFonts")
    if descendants is not None:
        for child in descendants.get_object():
            _font_facts(child.get_object(), out)
        return
    descriptor = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else {}
    out[name] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def _first_lines(page: object) -> str:
    text = page.extract_text() or ""  # type: ignore[attr-defined]  # a pypdf page
    return "\n".join(text.splitlines()[:3])


def check(pdf: bytes) -> PdfFacts:
    """Refuse a PDF that is not fit to be the record: not A4, a font not embedded, pages
    without their number."""
    found = facts(pdf)
    problems = []
    if not found.a4:
        problems.append(_("A page of the PDF is not A4."))
    missing = sorted(name for name, embedded in found.fonts.items() if not embedded)
    if missing:
        problems.append(_("Fonts not embedded in the PDF: %(fonts)s", fonts=", ".join(missing)))
    if not found.fonts:
        problems.append(_("The PDF has no text."))
    if not found.numbered:
        problems.append(_("A page of the PDF does not carry its number."))
    if problems:
        raise RenderError(problems, code="pdf-unfit")
    return found


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def signature_layout(pdf: bytes, signer_name: str | None, attachment: bool) -> Layout:
    """Where the signer's signature image goes (between the signer's title and name, on
    the page with the name) and the organisation's seal (over the left third of it); an
    attachment is signed by the organisation alone, at the top right of its first page."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    if attachment:
        page = reader.pages[0]
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        box = (width - 15 * MM - 70 * MM, height - 8 * MM - 14 * MM,
               width - 15 * MM, height - 8 * MM)
        return Layout(page=0, signer=box, organisation=box)
    wanted = _key(signer_name or "")
    for index in range(len(reader.pages) - 1, -1, -1):
        lines: list[tuple[float, float, str]] = []

        def visit(text: str, cm: list, tm: list, _font: object, _size: object,
                  into: list = lines) -> None:
            if text.strip():
                x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
                y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
                into.append((x, y, text))

        page = reader.pages[index]
        page.extract_text(visitor_text=visit)
        width = float(page.mediabox.width)
        name_at = next(((x, y) for x, y, text in lines
                        if wanted and wanted in _key(text) and x > width * 0.4), None)
        if name_at is None and index == len(reader.pages) - 1 and not wanted:
            name_at = (width * 0.6, 80 * MM)
        if name_at is None:
            continue
        # the signature block's column: its centre is about where the name starts + 40 mm
        right = [(x, y) for x, y, _t in lines if x > width * 0.45 and y > name_at[1] + 4]
        above = min((y for _x, y in right), default=name_at[1] + SIGNATURE_BOX[1] + 12)
        centre = max(name_at[0] + 25 * MM, width * 0.70)
        centre = min(centre, width - 15 * MM - SIGNATURE_BOX[0] / 2)
        bottom = name_at[1] + 12
        top = max(bottom + 12 * MM, min(above - 2, bottom + SIGNATURE_BOX[1]))
        signer = (centre - SIGNATURE_BOX[0] / 2, bottom, centre + SIGNATURE_BOX[0] / 2, top)
        middle = (bottom + top) / 2
        seal_right = signer[0] + SIGNATURE_BOX[0] / 3
        organisation = (seal_right - SEAL_SIZE, middle - SEAL_SIZE / 2, seal_right,
                        middle + SEAL_SIZE / 2)
        return Layout(page=index, signer=signer, organisation=organisation)
    raise RenderError([_("The signer's name was not found in the PDF: the signature cannot "
                         "be placed.")], code="no-signer")


def with_signature_fields(pdf: bytes, layout: Layout, attachment: bool) -> bytes:
    """The PDF with its empty signature fields: the signer's and the organisation's (an
    attachment has only the organisation's). Written as an incremental update."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    specs = [] if attachment else [fields.SigFieldSpec(SIGNER_FIELD, on_page=layout.page,
                                                       box=_ints(layout.signer))]
    specs.append(fields.SigFieldSpec(ORGANISATION_FIELD, on_page=layout.page,
                                     box=_ints(layout.organisation)))
    for spec in specs:
        fields.append_signature_field(writer, spec)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _ints(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = box
    return round(x1), round(y1), round(x2), round(y2)
