"""Reading a PDF's text layer (pdfplumber, on pdfminer.six), and telling a scan from it.

The words are rebuilt from the characters' positions, not from the space characters the
text layer happens to carry: a PDF writer that positions each word without a space glues
words together ("vềđẩy"), one that emits a space inside a word splits it ("ch ất"). Where
the glyphs stand says which it is. Combining marks that a writer placed as glyphs of
their own are put back on their letter (NFC).

Why pdfplumber (docs/frameworks.md § PDFs and scans): MIT-licensed, maintained, pure
Python on pdfminer.six, and it gives every character with its box, which the column and
running-header logic of ``portal.frameworks.layout`` needs.
"""

from __future__ import annotations

import io
import logging
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from portal.frameworks.layout import Page, Word, page_text
from portal.problems import DomainError

log = logging.getLogger(__name__)

MAX_PAGES = 60            # a plan is 10 to 30 pages; more is not a plan (or a bomb)
# A page whose text layer has fewer letters than this is a scan (at most a stamp's text).
TEXT_PAGE_LETTERS = 80
# Two glyphs further apart than this fraction of the text height have a space between.
WORD_GAP_RATIO = 0.12


class PdfError(DomainError):
    """The PDF cannot be read; ``code`` says why (the parser's ``DocumentError`` codes)."""

    def __init__(self, code: str, message: str):
        super().__init__({"document": message})
        self.code = code


@dataclass
class PdfText:
    pages: list[str]        # each page's text in reading order; "" for a page without text
    scanned: list[int]      # 1-based numbers of the pages that have no text layer
    layout: list[Page] = field(default_factory=list)   # the words and lines, with boxes

    @property
    def is_scan(self) -> bool:
        return len(self.scanned) * 2 > len(self.pages)


def open_pdf(data: bytes) -> Any:  # a pdfplumber.PDF (pdfplumber ships no types)
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        return pdfplumber.open(io.BytesIO(data))
    except (PDFSyntaxError, PdfminerException, ValueError, KeyError, TypeError) as exc:
        raise PdfError("pdf-corrupt", "the PDF is damaged or encrypted; save it again "
                                           "from the program that made it") from exc


def page_count(data: bytes) -> int:
    with open_pdf(data) as pdf:
        return len(pdf.pages)


def read_text_layer(data: bytes) -> PdfText:
    """The text of every page; the pages without a text layer listed in ``scanned``."""
    pages: list[Page] = []
    scanned: list[int] = []
    with open_pdf(data) as pdf:
        if len(pdf.pages) > MAX_PAGES:
            raise PdfError("pdf-pages", f"the PDF has {len(pdf.pages)} pages; at most "
                                             f"{MAX_PAGES} can be read")
        try:
            for number, page in enumerate(pdf.pages, start=1):
                words = _words(page.dedupe_chars().chars)
                letters = sum(c.isalpha() for w in words for c in w.text)
                if letters < TEXT_PAGE_LETTERS:
                    scanned.append(number)
                pages.append(Page(words, float(page.width), float(page.height)))
        except Exception as exc:  # pdfminer raises many kinds on a damaged page
            log.warning("cannot read a PDF page: %r", exc)
            raise PdfError("pdf-corrupt", "a page of the PDF is damaged; save it "
                                               "again from the program that made it") from exc
    return PdfText(page_text(pages), scanned, pages)


def _words(chars: list[dict]) -> list[Word]:
    """Words from positioned glyphs: a gap makes a space, a space glyph alone does not."""
    glyphs = [c for c in chars if c["text"].strip()]
    rows: list[list[dict]] = []
    for char in sorted(glyphs, key=lambda c: float(c["top"])):
        middle = (float(char["top"]) + float(char["bottom"])) / 2
        for row in reversed(rows[-3:]):
            if float(row[0]["top"]) <= middle <= float(row[0]["bottom"]):
                row.append(char)
                break
        else:
            rows.append([char])
    words: list[Word] = []
    for row in rows:
        last: Word | None = None
        for char in sorted(row, key=lambda c: float(c["x0"])):
            text = char["text"]
            x0, x1 = float(char["x0"]), float(char["x1"])
            top, bottom = float(char["top"]), float(char["bottom"])
            height = max(bottom - top, 1.0)
            if last is not None and (unicodedata.combining(text[0])
                                     or x0 - last.x1 < WORD_GAP_RATIO * height):
                last.text += text
                last.x1 = max(last.x1, x1)
                last.top, last.bottom = min(last.top, top), max(last.bottom, bottom)
                continue
            last = Word(text, x0, x1, top, bottom)
            words.append(last)
    for word in words:
        word.text = unicodedata.normalize("NFC", word.text)
    return words
