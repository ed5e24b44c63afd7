"""From positioned words on pages to the lines of text the parser reads.

A PDF's text layer (``portal.frameworks.pdf``) and an OCR'd page
(``portal.frameworks.ocr``) both give words with their boxes. This module puts them back
in reading order the way the parser expects a ``.txt`` text layer:

- one line per printed line, with two columns on one line three spaces apart
  (``parser.COLUMN_GAP``), as a web copy or ``pdftotext`` gives them;
- the two-column Decree 30 header (issuing body and number on the left; motto, place and
  date on the right) read column by column: the whole left column, then the right one;
- running page headers and footers (a line that repeats at the top or bottom of most
  pages, page numbers masked) and page numbers dropped.

Nothing here knows about plans; the parser does the rest.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

# Two columns on one line (header, signature) stay three spaces apart, in a .txt text
# layer as in what this module gives the parser.
COLUMN_GAP = "   "
# Two words further apart than this many times the text height are in two columns.
COLUMN_GAP_RATIO = 2.0


@dataclass
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)


@dataclass
class Segment:
    """Words of one line in one column."""

    words: list[Word]

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass
class Line:
    segments: list[Segment]
    top: float

    @property
    def text(self) -> str:
        return COLUMN_GAP.join(s.text for s in self.segments)


@dataclass
class Page:
    words: list[Word]
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)


def group_lines(words: list[Word]) -> list[Line]:
    """Words into lines (by vertical overlap), each line into column segments."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        middle = (word.top + word.bottom) / 2
        for row in reversed(rows[-3:]):
            top = min(w.top for w in row)
            bottom = max(w.bottom for w in row)
            if top <= middle <= bottom:
                row.append(word)
                break
        else:
            rows.append([word])
    lines = []
    for row in rows:
        row.sort(key=lambda w: w.x0)
        height = sorted(w.height for w in row)[len(row) // 2]
        segments = [Segment([row[0]])]
        for word in row[1:]:
            if word.x0 - segments[-1].x1 > COLUMN_GAP_RATIO * height:
                segments.append(Segment([word]))
            else:
                segments[-1].words.append(word)
        lines.append(Line(segments, min(w.top for w in row)))
    return lines


# The last lines of a Decree 30 header: the number (left) and the place and date (right),
# the date maybe broken over lines ("ngày 22" / "tháng 10 năm 2020") or left blank in a
# draft ("ngày    tháng    năm 2025").
_NUMBER_LINE = re.compile(r"^S[ốoô6ó0]\s*[:.;]", re.IGNORECASE)
_DATE_START = re.compile(r"\bng[àaá]y\b", re.IGNORECASE)
_YEAR_END = re.compile(r"\b\d{4}\W{0,2}$")  # "… năm 2025", or "2025" wrapped alone


def _header_end(lines: list[Line]) -> int | None:
    """The index after the header's number and date lines, if both are there."""
    def first(pattern: re.Pattern[str], start: int = 0) -> int | None:
        return next((i for i, ln in enumerate(lines) if i >= start
                     and any(pattern.search(s.text.strip()) for s in ln.segments)), None)

    number, dated = first(_NUMBER_LINE), first(_DATE_START)
    year = first(_YEAR_END, dated) if dated is not None else None
    if number is None or year is None:
        return None
    return max(number, year) + 1


def header_columns(lines: list[Line], width: float) -> list[Line]:
    """The top of the first page read column by column when it is a two-column header.

    The header ends with its number and date lines, and at the latest at the first line
    that crosses the gutter between the columns (the centred document type, "KẾ HOẠCH").
    Without two columns the lines stay as they are.
    """
    top = lines[:15]
    gaps = [(ln.segments[0].x1 + ln.segments[1].x0) / 2 for ln in top if len(ln.segments) == 2]
    if not gaps:
        return lines
    gutter = sorted(gaps)[len(gaps) // 2]
    if not 0.25 * width < gutter < 0.75 * width:
        return lines
    end = 0
    while end < len(top) and all(s.x1 < gutter or s.x0 > gutter for s in top[end].segments):
        end += 1
    found = _header_end(top[:end])
    if found is not None:
        end = found
    left = [Line([s], ln.top) for ln in lines[:end] for s in ln.segments if s.x1 < gutter]
    right = [Line([s], ln.top) for ln in lines[:end] for s in ln.segments if s.x0 > gutter]
    return left + right + lines[end:]


def _running_key(text: str) -> str:
    # letters only, digits as one mark: page numbers and OCR's stray dots set aside
    return re.sub(r"\d+", "#", "".join(c for c in text.lower() if c.isalnum()))


def running_lines(pages: list[Page], reach: int = 2) -> set[str]:
    """Keys of lines that repeat at the top or bottom of most pages (headers, footers).

    Lines are alike when their keys are nearly the same (OCR reads a running header a
    little differently on each page)."""
    if len(pages) < 3:
        return set()
    clusters: list[tuple[str, set[str], set[int]]] = []   # (first key, keys, pages)
    for number, page in enumerate(pages):
        for line in page.lines[:reach] + page.lines[-reach:]:
            key = _running_key(line.text)
            if not key:
                continue
            for first, keys, seen in clusters:
                if key == first or (len(key) > 8 and difflib.SequenceMatcher(
                        None, key, first).ratio() >= 0.85):
                    keys.add(key)
                    seen.add(number)
                    break
            else:
                clusters.append((key, {key}, {number}))
    need = max(3, len(pages) // 2)
    return {key for _first, keys, seen in clusters if len(seen) >= need for key in keys}


def page_text(pages: list[Page]) -> list[str]:
    """Each page's text in reading order, running headers and footers dropped."""
    for index, page in enumerate(pages):
        page.lines = group_lines(page.words)
        if index == 0:
            page.lines = header_columns(page.lines, page.width)
    running = running_lines(pages)
    out = []
    for page in pages:
        kept = [ln.text for i, ln in enumerate(page.lines)
                if not (_running_key(ln.text) in running
                        and (i < 2 or i >= len(page.lines) - 2))]
        out.append("\n".join(kept))
    return out
