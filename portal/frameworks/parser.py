"""A parser for Vietnamese administrative documents (plans, reports, decisions).

It reads the text layer of a signed PDF, a web copy, an OCR'd scan or a .docx, and
returns the header metadata, the outline (Roman sections, numbered items, decimal
sub-items, lettered items) and warnings. The JSON shape is a stable interface
(ENGINEERING.md § Interfaces): ``{"meta", "outline", "warnings"}``, plus
``preamble``, ``closing``, ``recipients`` and ``signature``.

It never guesses: a field it cannot find is ``None``; where it had to read through
OCR damage it says so in ``warnings``.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from portal.frameworks.layout import COLUMN_GAP  # columns on one line: three spaces apart
from portal.problems import DomainError
from tenants.text import search_key

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph

# The Vietnamese order of lettered items (no f, j, w, z; đ after d).
LETTERS = "abcdđeghiklmnopqrstuvxy"
ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}

# Document types by the word that names them, and by their symbol.
DOC_TYPE_WORDS = {
    "ke hoach": "KH", "bao cao": "BC", "quyet dinh": "QĐ", "thong bao": "TB",
    "chi thi": "CT", "to trinh": "TTr", "nghi quyet": "NQ", "huong dan": "HD",
    "chuong trinh": "CTr", "de an": "ĐA", "cong van": "CV",
}
SYMBOL_FIXES = {"QD": "QĐ", "DA": "ĐA"}  # symbols as OCR reads them without diacritics

CLOSING_OPENERS = ("trong qua trinh", "qua trinh", "tren day", "yeu cau", "giao ",
                   "de nghi cac", "ubnd tinh yeu cau", "uy ban nhan dan tinh yeu cau")
SIGNATURE_FORMULA = re.compile(r"^(TM|KT|TL|TUQ|Q|Q\.\s*CHU TICH)\s*\.\s*\S", re.IGNORECASE)
SIGNATURE_TITLES = ("chu tich", "pho chu tich", "giam doc", "pho giam doc", "truong ban",
                    "pho truong ban", "chanh van phong", "chanh thanh tra", "bi thu",
                    "thu truong", "bo truong", "truong phong", "pho truong phong")
MOTTO = ("cong hoa xa hoi chu nghia viet nam", "doc lap - tu do - hanh phuc",
         "doc lap tu do hanh phuc")

_NUMBER = re.compile(
    r"S[ốoô6ó0ỐOÔ][\s:.;]*(?P<num>\d{1,5})\s*/\s*(?P<sym>[A-ZĐa-zđ0-9]{1,10}"
    r"(?: ?- ?[A-ZĐa-zđ0-9&]{1,12}){0,3})")   # not across a column gap
_DATE = re.compile(
    r"(?:(?P<place>[^\W\d_][^,;:\n]{1,40}?)\s*,\s*)?ng[àaá]y\s+(?P<d>\d{1,2})\s+"
    r"th[áa]ng\s+(?P<m>\d{1,2})\s+n[ăaắ]m\s+(?P<y>\d{4})", re.IGNORECASE)
_EMPTY_DATE = re.compile(r"ng[àa]y\s+(?:\.{2,}|…|\s)*\s*th[áa]ng\s+", re.IGNORECASE)
_ROMAN = re.compile(r"^(?P<tok>[IVXLivxl1|!]{1,6})\s*[.)]\s*(?P<rest>.*)$")
_BARE_ROMAN = re.compile(r"^(?P<tok>[IVXivx1l|]{1,6})\s+(?P<rest>\S.*)$")
_BARE_ONE = re.compile(r"^(?P<tok>[l|])\s+(?P<rest>[A-ZĐÀ-Ỹ][^\W\d_]*(?:\s+\S+){0,8})$")
_DECIMAL = re.compile(r"^(?P<a>\d{1,2})\.(?P<b>\d{1,2})\.?(?:\s+|$)(?P<rest>.*)$")
_NUMBERED = re.compile(r"^(?P<n>\d{1,2})\s*\.(?!\d)\s*(?P<rest>.*)$")
_LETTER = re.compile(r"^(?P<l>[a-zđA-ZĐ¢14l|@àáäð©€éèêø98¡!íìïjó0òq6])\s*[)\]}]\s*"
                     r"(?P<rest>.*)$")
_NUMBERED_DAMAGED = re.compile(r"^(?P<n>\d{1,2})\s*[,;:]\s*(?P<rest>[A-ZĐÀ-Ỹ].*)$")
_OCR_LEADER = re.compile(r"^[_~¬„]+\s*(?=\S)")   # specks before a line read as "__"
_BULLET = re.compile(r"^[-+•–]\s+\S")
_PAGE_ARTEFACT = re.compile(r"^(?:[-–]?\s*\d{1,3}\s*[-–]?|(?:trang|page)\s*\d+(?:\s*/\s*\d+)?)$",
                            re.IGNORECASE)
_TABLE_RULE = re.compile(r"^[\s|+\-=_:.]*$")
_VIETNAMESE_MARKS = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợ"
                               r"ùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE)

LEVEL_ROMAN, LEVEL_NUMBER, LEVEL_DECIMAL, LEVEL_LETTER = 0, 1, 2, 3
PAGE_BREAK = "\n\f\n"   # between pages (a form feed, as pdftotext gives it)
# What OCR reads for a label's letter, and the letters it may stand for: restored only
# where the sequence expects one of them (after d) comes đ, not a second d).
LETTER_LOOKALIKES = {
    "4": "a", "@": "a", "à": "a", "á": "a", "ä": "a", "6": "b", "¢": "c", "©": "c",
    "d": "đ", "ð": "đ", "€": "e", "é": "e", "è": "e", "ê": "e", "ø": "g",
    "9": "g", "q": "g", "8": "g", "¡": "i", "!": "i", "1": "il", "|": "il", "l": "i",
    "í": "i", "ì": "i", "ï": "i", "j": "i", "0": "o", "ó": "o", "ò": "o",
}
# Roman numerals as OCR reads them: the characters a stroke "I" comes out as.
ROMAN_STROKES = "1lL|!íìï"


class DocumentError(DomainError):
    """The file cannot be read as a plan; ``code`` says why (translated by
    ``portal.frameworks.service.document_message``), the message in English for the CLI."""

    def __init__(self, code: str, message: str):
        super().__init__({"document": message})
        self.code = code


@dataclass
class Warning_:
    code: str
    at: str | None
    message: str
    params: dict = field(default_factory=dict)  # for translating the message

    def as_dict(self) -> dict:
        out: dict = {"code": self.code, "at": self.at, "message": self.message}
        if self.params:
            out["params"] = self.params
        return out


@dataclass
class Correction:
    """An automatic correction of what OCR read, for the reviewer to check: ``kind`` is
    ``label`` (an outline label restored from its sequence), ``number`` (the document
    number read through damage), ``name`` (a place or an issuing body given back its
    diacritics from the official unit list); ``at`` the outline path ("II.1.g") or the
    header field ("place", "issuer"); ``page`` the page it stands on (1-based) when the
    text came in pages, else ``None``."""

    kind: str
    at: str | None
    before: str
    after: str
    page: int | None = None

    def as_dict(self) -> dict:
        return {"page": self.page, "kind": self.kind, "at": self.at,
                "before": self.before, "after": self.after}


@dataclass
class Node:
    label: str
    level: int
    title_lines: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    raw_label: str = ""
    title_open: bool = True
    paragraphs: bool = False

    @property
    def title(self) -> str:
        return _join(self.title_lines).rstrip(":").strip()

    @property
    def text(self) -> str:
        return _join(self.lines, self.paragraphs)

    def as_dict(self) -> dict:
        return {"label": self.label, "title": self.title, "text": self.text,
                "children": [c.as_dict() for c in self.children]}


@dataclass
class ParseResult:
    meta: dict
    outline: list[Node]
    warnings: list[Warning_]
    preamble: str = ""
    closing: str = ""
    recipients: list[str] = field(default_factory=list)
    signature: dict = field(default_factory=dict)
    corrections: list[Correction] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"meta": self.meta, "outline": [n.as_dict() for n in self.outline],
                "warnings": [w.as_dict() for w in self.warnings],
                "preamble": self.preamble, "closing": self.closing,
                "recipients": self.recipients, "signature": self.signature,
                "corrections": [c.as_dict() for c in self.corrections]}


# ---- entry points -------------------------------------------------------------------


def parse_file(filename: str, data: bytes) -> ParseResult:
    """Parse an uploaded or local file: .txt (any common encoding) or .docx."""
    if not data.strip():
        raise DocumentError("empty", "the file is empty")
    if data.startswith(b"%PDF"):
        return parse_pdf(data)
    name = filename.lower()
    if data.startswith(b"PK\x03\x04") or name.endswith(".docx"):
        return parse_docx(data)
    if name.endswith((".doc", ".xls", ".xlsx", ".odt")) or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DocumentError("format", "only .txt, .docx and .pdf files and scanned images "
                                      "can be read; save the document as .docx, PDF or "
                                      "plain text")
    text, warning = _decode(data)
    result = parse_text(text)
    if warning:
        result.warnings.insert(0, warning)
    return result


def parse_pdf(data: bytes) -> ParseResult:
    """Parse a PDF's text layer as its ``.txt`` would be (``portal.frameworks.pdf``).

    A scan (most pages without a text layer) is refused with the code ``scan``: it is
    read by OCR in a background job (``portal.frameworks.ingest``), never here.
    """
    from portal.frameworks.pdf import PdfError, read_text_layer

    try:
        layer = read_text_layer(data)
    except PdfError as exc:
        raise DocumentError(exc.code, str(exc.messages[0])) from exc
    if layer.is_scan:
        raise DocumentError("scan", "the PDF is a scan without a text layer; it must be "
                                    "read by OCR")
    return parse_pages(layer.pages)


def parse_pages(pages: list[str]) -> ParseResult:
    """Parse a document given page by page (a PDF's text layer, an OCR'd scan): as
    ``parse_text`` of the whole, with each correction's page."""
    return parse_text(PAGE_BREAK.join(pages))


def parse_docx(data: bytes) -> ParseResult:
    """Parse a Word document: paragraphs in order, header tables cell by cell."""
    from portal.archives import ArchiveError, check_archive

    try:
        check_archive(data)   # before python-docx unpacks anything: size, parts, DOCTYPE
    except ArchiveError as exc:
        raise DocumentError("corrupt" if exc.reason == "corrupt" else "archive",
                            exc.messages[0]) from exc
    try:
        from docx import Document
        from docx.opc.exceptions import PackageNotFoundError

        try:
            document = Document(io.BytesIO(data))
        except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise DocumentError("corrupt", "the .docx file is damaged or not a Word "
                                           "document; open it in Word and save it again") from exc
    except ImportError as exc:  # pragma: no cover - python-docx is a dependency
        raise DocumentError("format", "reading .docx needs python-docx") from exc
    lines: list[str] = []
    auto_numbered = 0
    for block in _docx_blocks(document):
        if isinstance(block, str):
            lines.append(block)
            continue
        paragraph = block
        text = paragraph.text.strip()
        if not text:
            continue
        if paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None:
            auto_numbered += 1
        lines.append(text)
    result = parse_text("\n".join(lines), paragraphs=True)
    if auto_numbered:
        result.warnings.insert(0, Warning_(
            "auto-numbering", None,
            f"{auto_numbered} paragraphs are numbered by Word's automatic list numbering, "
            "which is not part of the text; check the outline, or type the numbers",
            {"n": auto_numbered}))
    return result


def _docx_blocks(document: DocxDocument) -> Iterator[Paragraph]:
    """Paragraphs and table cells in document order (header blocks are often tables)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            yield Paragraph(child, document)
        elif tag == "tbl":
            table = Table(child, document)
            for row in table.rows:
                seen = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    yield from cell.paragraphs


def _decode(data: bytes) -> tuple[str, Warning_ | None]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), None
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise DocumentError("encoding", "the text is neither UTF-8 nor Windows-1258; save it "
                                        "as UTF-8 text") from exc
    return text, Warning_("encoding", None, "the file was read as Windows-1258, not UTF-8; "
                                            "check the Vietnamese letters")


# ---- text ---------------------------------------------------------------------------




def _clean_lines(text: str) -> tuple[list[str], list[int | None]]:
    """Lines without page numbers, table rules or empty lines; column gaps kept; and the
    page of each line (counted by form feeds), or ``None`` for a text without them."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    paged = "\f" in text
    page = 1
    out: list[str] = []
    pages: list[int | None] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if "\f" in raw:
            page += raw.count("\f")
            raw = raw.replace("\f", "")
        line = _OCR_LEADER.sub("", raw.replace("\t", COLUMN_GAP).strip())
        if "|" in line:  # a table cell from a web copy: its borders are columns
            line = re.sub(r"\s*\|\s*", COLUMN_GAP, line.strip("| ")).strip()
        if not line:
            continue
        if _TABLE_RULE.match(line) and re.search(r"[-=_|+]{3,}", line):
            continue
        if _PAGE_ARTEFACT.match(line):
            continue
        columns = [" ".join(c.split()) for c in re.split(r"\s{3,}", line) if c.strip()]
        out.append(COLUMN_GAP.join(columns))
        pages.append(page if paged else None)
    return out, pages


def _flat(line: str) -> str:
    return " ".join(line.split())


def _glue_fix(text: str) -> str:
    # "đ" begins a syllable in Vietnamese, so a lower-case letter right before it is a
    # space lost by the PDF text layer ("vềđẩy" → "về đẩy").
    return re.sub(r"(?<=[a-zà-ỹ])(?=đ)", " ", text)


def _join(lines: list[str], paragraphs: bool = False) -> str:
    """Join wrapped lines: bullets keep their own line, split words are mended.

    With ``paragraphs`` (a .docx) every line is a paragraph and keeps its own line.
    """
    text = ""
    for line in lines:
        after_list_start = text.rstrip().endswith((":", ";", ".")) or \
            _BULLET.match(text.rsplit("\n", 1)[-1])
        if not text:
            text = line
        elif paragraphs or (_BULLET.match(line) and after_list_start):
            text += "\n" + line
        elif re.search(r"[^\W\d_]-$", text) and line[:1].islower():
            text = text[:-1] + line  # "chất lượ-" + "ng" → "chất lượng"
        else:
            text += " " + line
    text = "\n".join(" ".join(chunk.split()) for chunk in text.split("\n"))
    return _glue_fix(text).strip()


GOVERNING_BODIES = ("ubnd ", "uy ban nhan dan tinh", "uy ban nhan dan huyen", "bo ",
                    "tinh uy", "hdnd ")
ISSUING_BODIES = ("so ", "ban ", "phong ", "chi cuc", "trung tam", "van phong", "thanh tra",
                  "cuc ", "vu ", "tong cuc")


def _issuer(lines: list[str]) -> tuple[str, str | None]:
    """The issuing body, and the governing body printed above it, if any.

    "UBND TỈNH HƯNG YÊN / SỞ KHOA HỌC VÀ CÔNG NGHỆ": the department issues, under the
    province. "ỦY BAN NHÂN DÂN / TỈNH HƯNG YÊN" is one name over two lines.
    """
    first = search_key(lines[0])
    rest = " ".join(lines[1:])
    if len(lines) > 1 and first.startswith(GOVERNING_BODIES) and \
            search_key(rest).startswith(ISSUING_BODIES):
        return rest, lines[0]
    return " ".join(lines), None


_DATE_OPEN = re.compile(r"\bng[àaá]y\b(?!.*\d{4})", re.IGNORECASE)  # a date without its year
_DATE_REST = re.compile(r"^(?:(?:\d{1,2}\s+)?(?:th[áa]ng|n[ăaắ]m)\b|\d{1,4}(?:\s|$))",
                        re.IGNORECASE)
_NUMBER_OPEN = re.compile(r"S[ốoô6ó0ỐOÔ]\s*[:.;]?\s*(?:\d{1,5}\s*/?\s*(?:[A-ZĐ0-9]{1,10}"
                          r"\s*-\s*)*)?$")     # "Số:", "Số: 25/", "Số: 25/KH-" at a line's end
_NUMBER_REST = re.compile(r"^(?:\d{1,5}\s*/\s*)?[A-ZĐ0-9]{1,10}(?:\s*-\s*[A-ZĐ0-9&]{1,12}){0,3}$")
_PLACE_PIECE = re.compile(r"^[^\W\d_]+(?:\s[^\W\d_]+){0,2}$")   # "Hà", "Thừa Thiên"


def _mend_header(lines: list[str]) -> list[str]:
    """The header's number and place-and-date lines put back whole where they were broken
    over two or more lines or split across the header's columns, as web copies and
    scans break them: "Hà Tĩnh, ngày 22" / "tháng 10 năm 2020", "ngày" / "22 tháng 10" /
    "năm 2020", "Số: 25/KH-" / "UBND", "Số:" / "25/KH-UBND", "Hà" / "Tĩnh, ngày …"."""
    out = [line.split(COLUMN_GAP) for line in lines]
    for index in range(len(out)):
        for col in range(len(out[index])):
            _mend_piece(out, index, col, opens=_DATE_OPEN, ends=_DATE, rest=_DATE_REST,
                        glue=" ")
            _mend_piece(out, index, col, opens=_NUMBER_OPEN, ends=None, rest=_NUMBER_REST,
                        glue="")
        _mend_place(out, index)
    return [COLUMN_GAP.join(columns) for columns in out if any(c.strip() for c in columns)]


def _mend_piece(out: list[list[str]], index: int, col: int, *, opens: re.Pattern[str],
                ends: re.Pattern[str] | None, rest: re.Pattern[str], glue: str) -> None:
    """Append to column ``col`` of line ``index`` the pieces of the following lines
    (at most three) that carry on what it opened, until it is whole."""
    for following in out[index + 1:index + 4]:
        column = out[index][col]
        if not opens.search(column) or (ends is not None and ends.search(column)):
            return
        piece = next((c for c in following if c.strip() and rest.match(c.strip())), None)
        if piece is None:
            return
        joint = "" if glue == "" and column.rstrip().endswith(("-", "/")) else " "
        out[index][col] = f"{column.rstrip()}{joint}{piece.strip()}"
        following.remove(piece)
        if ends is None:
            return


def _mend_place(out: list[list[str]], index: int) -> None:
    """A place name broken before its comma ("Hà" / "Tĩnh, ngày 22 …"): joined when
    the two pieces make an official unit name and the second alone does not."""
    from portal.frameworks.official_names import official_names

    if index == 0:
        return
    for col, column in enumerate(out[index]):
        dated = _DATE.search(column)
        if not dated or not dated["place"] or dated.start() > 0:
            continue
        previous = out[index - 1]
        piece = previous[-1].strip() if previous else ""
        if not _PLACE_PIECE.match(piece):
            continue
        names = official_names()
        joined = f"{piece} {dated['place'].strip()}"
        if search_key(joined) in names and search_key(dated["place"]) not in names:
            out[index][col] = f"{piece} {column.lstrip()}"
            previous.pop()


def _is_motto(key: str) -> bool:
    """The national motto, or a piece of it where a web copy broke it over lines
    ("CỘNG HÒA XÃ HỘI" / "CHỦ NGHĨA VIỆT NAM")."""
    key = " ".join(key.replace("-", " ").replace("–", " ").split())
    if any(m in key for m in MOTTO):
        return True
    whole = ("cong hoa xa hoi chu nghia viet nam", "doc lap tu do hanh phuc")
    return len(key.split()) >= 2 and any(f" {key} " in f" {m} " for m in whole)


def _is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    return sum(c.isupper() for c in letters) / len(letters) >= 0.8


def _roman_value(token: str) -> int | None:
    total, previous = 0, 0
    for char in reversed(token):
        value = ROMAN_VALUES.get(char)
        if value is None:
            return None
        total = total - value if value < previous else total + value
        previous = max(previous, value)
    return total if _to_roman(total) == token else None


def _letter_of(raw: str, expect: str) -> str | None:
    """The letter of a lettered label as OCR read it ("4" for a, "ø" for g, "¡" for i,
    "d" for đ after d), restored only where the sequence expects that letter; a letter
    that is not expected is kept for the numbering checks; ``None`` if it is none."""
    letter = raw.lower()
    if letter == expect:
        return letter
    if expect in LETTER_LOOKALIKES.get(raw, "") or expect in LETTER_LOOKALIKES.get(letter, ""):
        return expect
    return letter if letter in LETTERS else None


def _damaged_roman(token: str, expect: int) -> bool:
    """Is ``token`` a section number ``expect`` that OCR damaged: strokes read as "1",
    "l" or "|", or a speck read as one more stroke ("IL" for I, "IIl" for II)?"""
    if not any(c in ROMAN_STROKES for c in token) or token.isdigit():
        return False
    wanted = _to_roman(expect)
    readings = {"".join("I" if c in ROMAN_STROKES else c for c in token)}
    for index, char in enumerate(token):   # one damaged character a speck, not a stroke
        if char in ROMAN_STROKES:
            readings.add("".join("I" if c in ROMAN_STROKES else c
                                 for c in token[:index] + token[index + 1:]))
    return wanted in {r.upper() for r in readings}


def _to_roman(value: int) -> str:
    out = ""
    for number, symbol in ((50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
                           (4, "IV"), (1, "I")):
        while value >= number:
            out += symbol
            value -= number
    return out


# ---- the parser ---------------------------------------------------------------------


class _Parser:
    def __init__(self, lines: list[str], paragraphs: bool,
                 pages: list[int | None] | None = None):
        self.lines = lines
        self.pages = pages or [None] * len(lines)
        self.paragraphs = paragraphs
        self.warnings: list[Warning_] = []
        self.corrections: list[Correction] = []
        letters = sum(c.isalpha() for c in "".join(lines)) or 1
        marks = len(_VIETNAMESE_MARKS.findall("".join(lines)))
        self.no_diacritics = marks / letters < 0.01
        lengths = sorted(len(line) for line in lines) or [0]
        wrap = lengths[int(len(lengths) * 0.8)]
        # A heading line at least this long may wrap onto the next line…
        self.full_width = 0.7 * wrap
        # …but one far longer than the page's lines is a whole paragraph (a web copy).
        self.unwrapped = max(1.25 * wrap, 90)

    def warn(self, code: str, at: str | None, message: str, **params: object) -> None:
        self.warnings.append(Warning_(code, at, message, params))

    def correct(self, kind: str, at: str | None, before: str, after: str,
                line: int | None) -> None:
        """Record an automatic correction (the caller also warns)."""
        page = self.pages[line] if line is not None and line < len(self.pages) else None
        self.corrections.append(Correction(kind, at, before, after, page))

    def _header_line(self, text: str) -> int | None:
        """The index of the first header line holding ``text`` (for its page)."""
        return next((i for i, line in enumerate(self.lines[:40]) if text in line), None)

    # -- header --

    def header(self) -> tuple[dict, int]:
        meta: dict = {"issuer": None, "number": None, "doc_type": None, "place": None,
                      "date": None, "title": None}
        type_at = None
        for index, line in enumerate(self.lines[:40]):
            key = search_key(_flat(line)).strip(" .:")
            if key in DOC_TYPE_WORDS:
                type_at = index
                meta["doc_type"] = DOC_TYPE_WORDS[key]
                break
            if self._marker(line, expect_roman=1) is not None and index > 0:
                break
        zone = _mend_header(self.lines[:type_at] if type_at is not None else self.lines[:12])
        issuer_lines: list[str] = []
        for line in zone:
            rest = line
            found = _NUMBER.search(rest)
            if found and meta["number"] is None:
                symbol = re.sub(r"\s+", "", found["sym"]).upper()
                head = symbol.split("-")[0]
                if head in SYMBOL_FIXES and self.no_diacritics:
                    symbol = SYMBOL_FIXES[head] + symbol[len(head):]
                meta["number"] = f"{int(found['num'])}/{symbol}"
                if found.group(0)[:2] != "Số":
                    self.warn("ocr-number", None, f"read {found.group(0)!r} as "
                                                  f"'Số: {meta['number']}'",
                              raw=found.group(0), number=meta["number"])
                    self.correct("number", "number", found.group(0),
                                 f"Số: {meta['number']}", self._header_line(found["num"]))
                rest = rest[:found.start()] + " " + rest[found.end():]
            dated = _DATE.search(rest)
            if dated and meta["date"] is None:
                try:
                    meta["date"] = date(int(dated["y"]), int(dated["m"]),
                                        int(dated["d"])).isoformat()
                except ValueError:
                    self.warn("invalid-date", None, f"{dated.group(0)!r} is not a real date")
                if dated["place"]:
                    meta["place"] = " ".join(dated["place"].split()).strip(" ,")
                rest = rest[:dated.start()] + " " + rest[dated.end():]
            elif _EMPTY_DATE.search(rest):
                self.warn("missing-date", None, "the date line has no day (an unsigned draft?)")
                rest = ""
            for column in rest.split(COLUMN_GAP):
                column = column.strip(" -–_")
                key = search_key(column)
                if not column or _is_motto(key) or not _is_upper(column):
                    continue
                if meta["number"] is None and meta["date"] is None:
                    issuer_lines.append(column)
        if issuer_lines:
            meta["issuer"], parent = _issuer(issuer_lines)
            if parent:
                meta["issuer_parent"] = parent
        self._restore_names(meta)
        if meta["number"]:
            symbol_type = meta["number"].split("/", 1)[1].split("-")[0]
            meta["doc_type"] = symbol_type
        start = (type_at + 1) if type_at is not None else 0
        title_lines: list[str] = []
        index = start
        while type_at is not None and index < len(self.lines) and len(title_lines) < 8:
            line = _flat(self.lines[index])
            key = search_key(line)
            if self._marker(line, expect_roman=1) is not None:
                break
            if title_lines and key.startswith(("can cu", "thuc hien", "nham ", "de ",
                                               "tren co so", "uy ban nhan dan", "ubnd ",
                                               "kinh gui")):
                break
            title_lines.append(line)
            index += 1
        if title_lines:
            meta["title"] = _join(title_lines)
        if index < len(self.lines) and search_key(self.lines[index]).startswith("kinh gui"):
            addressee = _flat(self.lines[index]).split(":", 1)
            meta["addressee"] = addressee[1].strip() if len(addressee) > 1 else None
            index += 1
        if type_at is None and meta["number"] is None:
            self.warn("header-missing", None, "no document type, number or date was found")
        elif meta["number"] is None or meta["date"] is None or meta["issuer"] is None:
            missing = [k for k in ("issuer", "number", "date") if meta[k] is None]
            self.warn("header-missing", None, "the header does not give the "
                      + ", ".join(missing) + "; fill them in before publishing",
                      fields=missing)
        return meta, index

    # -- markers --

    def _marker(self, line: str, expect_roman: int, expect_number: int = 1,
                parent_number: str | None = None, expect_letter: str = "a",
                ) -> tuple[int, str, str, str] | None:
        """(level, label, raw label, rest of line) if ``line`` opens an outline item."""
        match = _ROMAN.match(line)
        if match and not _is_upper(match["rest"]) and match["tok"] == _to_roman(expect_roman) \
                and re.match(r"[A-ZĐÀ-Ỹ][^\W\d_]", match["rest"]) and len(match["rest"]) < 80 \
                and line[len(match["tok"]):].lstrip().startswith("."):
            # "I. Mục đích, yêu cầu": a section written in sentence case, only the one
            # expected next and only a true Roman numeral with its full stop
            return LEVEL_ROMAN, match["tok"], match["tok"], match["rest"]
        if match and _is_upper(match["rest"]):
            token, rest = match["tok"], match["rest"]
            mapped = "".join("I" if c in ROMAN_STROKES else c for c in token)
            value = _roman_value(mapped.upper())
            if value != expect_roman and _damaged_roman(token, expect_roman):
                # "IL." where I. is expected: a stroke and a speck; the sequence says I
                return LEVEL_ROMAN, _to_roman(expect_roman), token + " (?)", rest
            # "I1." or "l11." (OCR) name a section; a bare "1." is a numbered item
            # unless it is exactly the section expected next.
            if value and (any(c in "IVX" for c in token.upper())
                          or (value == expect_roman and not token.isdigit())):
                if value == expect_roman - 1 and expect_roman > 2 and \
                        _to_roman(expect_roman).startswith(_to_roman(value)):
                    # "II." after II.: OCR lost a stroke of "III."; the sequence says III
                    return LEVEL_ROMAN, _to_roman(expect_roman), token + " (?)", rest
                return LEVEL_ROMAN, _to_roman(value), token, rest
        match = _BARE_ROMAN.match(line)
        if match and _is_upper(match["rest"]) and len(match["rest"]) > 3:
            # "II NHIỆM VỤ": OCR lost the full stop; only the section expected next
            mapped = "".join("I" if c in "1lL|!" else c for c in match["tok"].upper())
            if _roman_value(mapped) == expect_roman and any(c in "IVX" for c in mapped):
                return LEVEL_ROMAN, mapped, match["tok"] + " (.)", match["rest"]
        match = _DECIMAL.match(line)
        if match and parent_number is not None and match["a"] == parent_number:
            return LEVEL_DECIMAL, f"{match['a']}.{int(match['b'])}", match.group(0), match["rest"]
        match = _BARE_ONE.match(line)
        if match and expect_number == 1 and parent_number is None and \
                not _is_upper(match["rest"]):
            # "l Mục đích ." : OCR read "1." as a lone l; only where item 1 is expected
            return LEVEL_NUMBER, "1", match["tok"] + " (?)", match["rest"].rstrip(" .")
        match = _NUMBERED.match(line)
        if match and match["rest"] and 1 <= int(match["n"]) <= expect_number + 5:
            return LEVEL_NUMBER, str(int(match["n"])), match["n"], match["rest"]
        match = _NUMBERED_DAMAGED.match(line)
        if match and int(match["n"]) == expect_number and expect_number > 1 and \
                not _is_upper(match["rest"]):
            # "2, Giai đoạn": OCR read the full stop as a comma; only the item expected
            return LEVEL_NUMBER, match["n"], match["n"] + match.group(0)[len(match["n"]):][
                :1] + " (?)", match["rest"]
        match = _LETTER.match(line)
        if match and match["rest"]:
            raw = match["l"]
            letter = _letter_of(raw, expect_letter)
            if letter is None:
                return None
            if raw.isupper() and not self.no_diacritics and letter != expect_letter:
                return None
            return LEVEL_LETTER, letter, raw, match["rest"]
        return None

    def _restore_names(self, meta: dict) -> None:
        """Diacritics OCR lost in the place and the issuing bodies, put back from the
        official unit lists, each restoration reported (``ocr-diacritics``)."""
        from portal.frameworks.official_names import restore_body, restore_place

        for key, restore in (("place", restore_place), ("issuer", restore_body),
                             ("issuer_parent", restore_body)):
            value = meta.get(key)
            restored = restore(value) if value else None
            if restored and value:
                self.warn("ocr-diacritics", None, f"read {value!r} as {restored!r} (the "
                          "official name)", raw=value, name=restored)
                first = value.split()[0] if value.split() else value
                self.correct("name", key, value, restored, self._header_line(first))
                meta[key] = restored

    # -- body --

    def body(self, start: int) -> tuple[list[Node], list[str], int]:
        root = Node(label="", level=-1)
        stack: list[Node] = [root]
        preamble: list[str] = []
        end = len(self.lines)
        index = start
        while index < len(self.lines):
            line = _flat(self.lines[index])
            key = search_key(line)
            if key.startswith(("noi nhan", "kinh gui")) and len(stack) > 1:
                end = index
                break
            if SIGNATURE_FORMULA.match(key) and len(stack) > 1 and _is_upper(line):
                end = index
                break
            current = stack[-1]
            marker = self._marker(
                line, expect_roman=self._next_roman(root),
                expect_number=self._next_number(stack),
                parent_number=self._open_number(stack),
                expect_letter=self._next_letter(stack))
            if marker is not None:
                level, label, raw, rest = marker
                while stack[-1].level >= level:
                    stack.pop()
                path = ".".join([n.label for n in stack[1:]] + [label])
                before = after = None
                if level == LEVEL_ROMAN and label != raw.upper():
                    before, after = raw.split(" (")[0] + ".", label + "."
                    self.warn("ocr-label", None, f"read {raw!r} as the section {label!r}",
                              raw=raw, label=label)
                if level == LEVEL_LETTER and label != raw:
                    before, after = f"{raw})", f"{label})"
                    self.warn("ocr-label", None, f"read '{raw})' as '{label})'",
                              raw=f"{raw})", label=f"{label})")
                if level == LEVEL_NUMBER and raw.endswith("(?)"):
                    before, after = raw[:-4], f"{label}."
                    self.warn("ocr-label", None, f"read {raw[:-4]!r} as '{label}.'",
                              raw=raw[:-4], label=f"{label}.")
                if before is not None and after is not None:
                    self.correct("label", path, before, after, index)
                node = Node(label=label, level=level, raw_label=raw,
                            paragraphs=self.paragraphs)
                if level == LEVEL_LETTER:
                    node.title_open = False
                    if rest:
                        node.lines.append(rest)
                elif rest:
                    node.title_lines.append(rest)
                if level == LEVEL_ROMAN:
                    node.title_open = True
                stack[-1].children.append(node)
                stack.append(node)
                index += 1
                if line.rstrip().endswith("./."):
                    end = index
                    break
                continue
            if current is root:
                preamble.append(line)
            elif current.title_open and self._continues_title(current, line):
                current.title_lines.append(line)
            else:
                if current.title_open:
                    _settle_title(current)
                current.lines.append(line)
            index += 1
            if line.rstrip().endswith("./."):
                end = index
                break
        _settle_all(root.children)
        return root.children, preamble, end

    def _continues_title(self, node: Node, line: str) -> bool:
        """Does ``line`` carry on the heading of ``node`` (wrapped in the text layer)?"""
        if not node.title_lines or self.paragraphs:
            return False
        if node.level == LEVEL_ROMAN:
            return _is_upper(line)
        last = node.title_lines[-1]
        if last.endswith((".", ":", ";", "!", "?")):
            return False
        # a line that goes on in lower case carries on the sentence, however short the
        # line before it (web copies break lines anywhere: "hướng" / "nghiệp trong …")
        return (self.full_width <= len(last) <= self.unwrapped) or \
            (line[:1].islower() and len(last) <= self.unwrapped)

    @staticmethod
    def _next_roman(root: Node) -> int:
        values = [_roman_value(c.label) or 0 for c in root.children if c.level == LEVEL_ROMAN]
        return (max(values) + 1) if values else 1

    @staticmethod
    def _next_number(stack: list[Node]) -> int:
        for node in reversed(stack):
            numbered = [int(c.label) for c in node.children if c.level == LEVEL_NUMBER]
            if numbered:
                return max(numbered) + 1
            if node.level < LEVEL_NUMBER:
                return 1
        return 1

    @staticmethod
    def _open_number(stack: list[Node]) -> str | None:
        for node in reversed(stack):
            if node.level == LEVEL_NUMBER:
                return node.label
        return None

    @staticmethod
    def _next_letter(stack: list[Node]) -> str:
        for node in reversed(stack):
            letters = [c.label for c in node.children if c.level == LEVEL_LETTER]
            if letters:
                position = LETTERS.index(letters[-1]) if letters[-1] in LETTERS else 0
                return LETTERS[min(position + 1, len(LETTERS) - 1)]
            if node.level < LEVEL_LETTER:
                return "a"
        return "a"

    # -- after the body --

    def tail(self, start: int) -> tuple[list[str], dict]:
        recipients: list[str] = []
        signature: dict = {"formula": None, "authority": None, "title": None, "signer": None}
        in_recipients = False
        titles: list[str] = []
        pieces = [c for line in self.lines[start:] for c in line.split(COLUMN_GAP)]
        for line in pieces:
            key = search_key(line)
            if key.startswith(("noi nhan", "kinh gui")):
                in_recipients = True
                rest = line.split(":", 1)[1].strip() if ":" in line else ""
                if rest:
                    recipients.append(rest.lstrip("-– ").strip())
                continue
            if SIGNATURE_FORMULA.match(key) and _is_upper(line):
                # "TM." signs for a collective body; "KT.", "TL.", "TUQ.", "Q." for a person
                signature["formula" if key.startswith("tm") else "authority"] = line
                continue
            if _is_upper(line) and any(key == t or key.endswith(" " + t) or key.startswith(t)
                                       for t in SIGNATURE_TITLES):
                titles.append(line)
                continue
            if in_recipients and (_BULLET.match(line) or line.startswith(("-", "–"))):
                recipients.append(line.lstrip("-–+ ").strip())
                continue
            if in_recipients and recipients and not titles and not signature["formula"] and \
                    not self._looks_like_name(line):
                recipients[-1] = recipients[-1] + " " + line
                continue
            if self._looks_like_name(line):
                signature["signer"] = line
        if titles:
            signature["title"] = titles[-1]
            if signature["authority"] is None and len(titles) > 1:
                signature["authority"] = titles[0]
        return recipients, signature

    @staticmethod
    def _looks_like_name(line: str) -> bool:
        words = line.split()
        return 2 <= len(words) <= 5 and all(w[:1].isupper() for w in words) and \
            not _is_upper(line) and not line.endswith((";", ".", ":"))


def _settle_title(node: Node) -> None:
    """A numbered item whose "title" is a sentence is content, not a heading."""
    node.title_open = False
    if node.level not in (LEVEL_NUMBER, LEVEL_DECIMAL) or not node.title_lines:
        return
    title = _join(node.title_lines)
    head, colon, rest = title.partition(": ")
    if colon and rest and len(head.split()) <= 8 and not re.search(r"\d", head) and \
            len(rest) > len(head):
        # "1. Mục đích: Quán triệt, …": a heading and its text on one line
        node.title_lines = [head]
        node.lines = [rest, *node.lines]
        return
    if title.endswith((".", ";", "./.")) or (title.endswith(":") and len(title) > 80):
        node.lines = node.title_lines + node.lines
        node.title_lines = []


def _settle_all(nodes: list[Node]) -> None:
    for node in nodes:
        if node.title_open:
            _settle_title(node)
        _settle_all(node.children)


def parse_text(text: str, *, paragraphs: bool = False) -> ParseResult:
    """Parse the text of a document. ``paragraphs``: each line is a whole paragraph (.docx)."""
    lines, pages = _clean_lines(text)
    if not lines:
        raise DocumentError("empty", "the file has no text")
    parser = _Parser(lines, paragraphs, pages)
    if parser.no_diacritics:
        parser.warn("no-diacritics", None, "the text has no Vietnamese diacritics (a scan read "
                                           "by OCR?); titles and text are kept as read")
    meta, body_start = parser.header()
    outline, preamble_lines, end = parser.body(body_start)
    if not outline:
        raise DocumentError("not-a-plan", "no outline was found: a plan has sections "
                                          "(I., II., …) or numbered items (1., 2., …)")
    closing = _split_closing(outline, parser.lines, end)
    recipients, signature = parser.tail(end)
    if end >= len(parser.lines) and not closing and not recipients:
        last = _last_node(outline)
        parser.warn("truncated", _path_of(outline, last),
                    "the text ends without the closing mark './.', recipients or signature; "
                    "the document may be cut off")
    result = ParseResult(meta=meta, outline=outline, warnings=parser.warnings,
                         preamble=_join(preamble_lines, paragraphs), closing=closing,
                         recipients=recipients,
                         signature=signature if any(signature.values()) else {},
                         corrections=parser.corrections)
    lint(result)
    return result


def _last_node(outline: list[Node]) -> Node:
    node = outline[-1]
    while node.children:
        node = node.children[-1]
    return node


def _path_of(outline: list[Node], target: Node, prefix: str = "") -> str | None:
    for node in outline:
        path = f"{prefix}.{node.label}" if prefix else node.label
        if node is target:
            return path
        found = _path_of(node.children, target, path)
        if found:
            return found
    return None


def _split_closing(outline: list[Node], lines: list[str], end: int) -> str:
    """The closing paragraph of the body ("Quá trình triển khai … ./."), if any.

    In a text layer it runs on from the last item; it is recognised by the end mark
    ``./.`` and by the words that open such a paragraph.
    """
    last = _last_node(outline)
    source = last.lines or last.title_lines
    if not source or not source[-1].rstrip().endswith("./."):
        return ""
    for index in range(len(source) - 1, 0, -1):
        key = search_key(source[index])
        if key.startswith(CLOSING_OPENERS) and source[index - 1].rstrip().endswith(
                (".", ";", ":")):
            closing = _join(source[index:], last.paragraphs)
            del source[index:]
            return closing
    return ""


# ---- numbering lint -----------------------------------------------------------------


def lint(result: ParseResult) -> None:
    """Warnings for gaps, repeats, order and starts of every numbering sequence."""
    _lint_children(result.outline, None, result.warnings)


def _ordinal(node: Node) -> int:
    if node.level == LEVEL_ROMAN:
        return _roman_value(node.label) or 0
    if node.level == LEVEL_NUMBER:
        return int(node.label)
    if node.level == LEVEL_DECIMAL:
        return int(node.label.split(".")[1])
    return LETTERS.index(node.label) + 1 if node.label in LETTERS else 0


def _label_for(level: int, ordinal: int, sample: Node) -> str:
    if level == LEVEL_ROMAN:
        return _to_roman(ordinal)
    if level == LEVEL_NUMBER:
        return str(ordinal)
    if level == LEVEL_DECIMAL:
        return f"{sample.label.split('.')[0]}.{ordinal}"
    return LETTERS[ordinal - 1]


def _lint_children(children: list[Node], at: str | None, warnings: list[Warning_]) -> None:
    for level in (LEVEL_ROMAN, LEVEL_NUMBER, LEVEL_DECIMAL, LEVEL_LETTER):
        group = [c for c in children if c.level == level]
        if not group:
            continue
        ordinals = [_ordinal(c) for c in group]
        if ordinals[0] != 1:
            warnings.append(Warning_("numbering-start", at, f"numbering starts at "
                                                            f"{group[0].label}",
                                     {"item": group[0].label}))
        seen: set[int] = set()
        previous = 0
        for node, value in zip(group, ordinals, strict=True):
            if value in seen:
                warnings.append(Warning_("numbering-repeat", at,
                                         f"item {node.label} appears twice",
                                         {"item": node.label}))
            elif value < previous:
                after = _label_for(level, previous, node)
                warnings.append(Warning_("numbering-order", at,
                                         f"item {node.label} comes after item {after}",
                                         {"item": node.label, "after": after}))
            elif value > previous + 1 and previous:
                for missing in range(previous + 1, value):
                    label = _label_for(level, missing, node)
                    warnings.append(Warning_("numbering-gap", at, f"item {label} is missing",
                                             {"item": label}))
            seen.add(value)
            previous = max(previous, value)
    for child in children:
        path = f"{at}.{child.label}" if at else child.label
        _lint_children(child.children, path, warnings)
