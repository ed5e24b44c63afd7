"""Reading a scanned PDF or image with Tesseract and its Vietnamese data (Debian packages).

Each page is rasterized at 300 dpi by ``pdftoppm`` (poppler-utils, as a grey PGM: writing
a noisy page as PNG costs seconds), cleaned of scanner speckle by a 3 x 3 median filter
(Pillow; only at 200 dpi and more, where a stroke is wider than the filter) and read by
``tesseract -l vie --dpi 300`` as TSV: every word with its box and its confidence. Words
are put on the line Tesseract found them on, so a page scanned slightly askew still
reads line by line. Both run as
separate processes, one page at a time, each with a time limit, so a page that is too
big or too slow is refused rather than holding the worker; the pixel and page limits
are checked before any page is decoded. The words go through the same layout as a text
layer (``portal.frameworks.layout``), then the parser.

Runs in a background job only (``portal.frameworks.ingest``), never in a web request.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from portal.frameworks.layout import Page, Word, page_text
from portal.frameworks.pdf import open_pdf
from portal.problems import DomainError

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

DPI = 300
DESPECKLE_MIN_DPI = 200        # below, a 3 x 3 median would eat thin strokes and marks
A4_INCHES = 8.27               # the short side of an A4 page, to guess an image's dpi
MAX_PAGES = 40                 # a scanned plan is 10 to 30 pages
MAX_PIXELS = 12_000_000        # an A4 page at 300 dpi is 8.7 million pixels
PAGE_SECONDS = 120             # rasterizing or reading one page
LOW_CONFIDENCE = 75            # a page read with less (Tesseract's 0-100) is listed
IMAGE_TYPES = {b"\x89PNG": "png", b"\xff\xd8\xff": "jpeg", b"II*\x00": "tiff",
               b"MM\x00*": "tiff"}


class OcrError(DomainError):
    """The scan cannot be read; ``code`` says why, ``params`` fill the message."""

    def __init__(self, code: str, message: str, **params: object):
        super().__init__({"document": message})
        self.code = code
        self.params = params


@dataclass
class OcrPage:
    number: int
    confidence: float      # mean word confidence, 0-100
    words: int


@dataclass
class OcrText:
    pages: list[str]
    confidence: list[OcrPage]
    layout: list[Page] = field(default_factory=list)   # the words and lines, with boxes


def image_kind(data: bytes) -> str | None:
    return next((kind for magic, kind in IMAGE_TYPES.items() if data.startswith(magic)), None)


def available() -> bool:
    return bool(shutil.which("tesseract")) and bool(shutil.which("pdftoppm"))


def count_pages(data: bytes) -> int:
    """Pages of a scan, refused over the limits before any page is rasterized."""
    if image_kind(data):
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:   # reads the header, decodes nothing
            frames = getattr(image, "n_frames", 1)
            if image.width * image.height > MAX_PIXELS * 2:
                raise OcrError("ocr-pixels", "the image is too large",
                               pixels=image.width * image.height)
        _limit_pages(frames)
        return frames
    with open_pdf(data) as pdf:
        _limit_pages(len(pdf.pages))
        for page in pdf.pages:
            pixels = float(page.width) * float(page.height) * (DPI / 72) ** 2
            if pixels > MAX_PIXELS:
                raise OcrError("ocr-pixels", "a page is too large to read", pixels=int(pixels))
        return len(pdf.pages)


def _limit_pages(pages: int) -> None:
    if pages > MAX_PAGES:
        raise OcrError("ocr-pages", f"the scan has {pages} pages; at most {MAX_PAGES}",
                       pages=pages, limit=MAX_PAGES)


def read_scan(data: bytes, progress: Callable[[int, int], None] | None = None,
              keep_image: Callable[[int, Path], None] | None = None) -> OcrText:
    """OCR every page; ``progress(page, pages)`` is told before each page is read, and
    ``keep_image(page, path)`` is given each page's image once it is read."""
    if not available():
        raise OcrError("ocr-missing", "Tesseract or pdftoppm is not installed "
                                      "(scripts/setup.sh installs them)")
    pages = count_pages(data)
    out: list[Page] = []
    confidence: list[OcrPage] = []
    with tempfile.TemporaryDirectory(prefix="ocr-") as folder:
        source = Path(folder) / "source"
        source.write_bytes(data)
        for number in range(1, pages + 1):
            if progress:
                progress(number, pages)
            image = _page_image(source, data, number, Path(folder))
            page, seen = _ocr(image, number)
            out.append(page)
            confidence.append(seen)
            if keep_image:
                keep_image(number, image)
            image.unlink(missing_ok=True)
    return OcrText(page_text(out), confidence, out)


def _run(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    # one thread each: the machine's cores are shared with the web workers
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        return subprocess.run(args, check=True, capture_output=True, timeout=PAGE_SECONDS,  # noqa: S603  # fixed tools, our own file names
                              env=env)
    except subprocess.TimeoutExpired as exc:
        raise OcrError("ocr-timeout", "a page took too long to read",
                       seconds=PAGE_SECONDS) from exc
    except subprocess.CalledProcessError as exc:
        raise OcrError("ocr-failed", f"{args[0]} failed: "
                       f"{exc.stderr.decode(errors='replace')[:200]}") from exc


def _page_image(source: Path, data: bytes, number: int, folder: Path) -> Path:
    """Page ``number`` as a clean grey image for Tesseract (PGM, speckle removed)."""
    from PIL import Image

    kind = image_kind(data)
    target = folder / f"page-{number}.pgm"
    if kind:     # an image, or one frame of a multi-page TIFF
        with Image.open(source) as image:
            if kind == "tiff":
                image.seek(number - 1)
            grey = image.convert("L")
            dpi = _image_dpi(image)
    else:
        prefix = folder / f"page-{number}"
        _run(["pdftoppm", "-r", str(DPI), "-gray", "-singlefile", "-f", str(number),
              "-l", str(number), str(source), str(prefix)])
        with Image.open(prefix.with_suffix(".pgm")) as image:
            grey = image.convert("L")
        dpi = DPI
    despeckle(grey, dpi).save(target)
    return target


def _image_dpi(image: object) -> float:
    """The resolution an image says it has, else what an A4 page of its width would be."""
    stated = getattr(image, "info", {}).get("dpi")
    if stated and stated[0] and float(stated[0]) > 50:
        return float(stated[0])
    width, height = image.size  # type: ignore[attr-defined]  # a PIL image
    return min(width, height) / A4_INCHES


def despeckle(image: PILImage, dpi: float) -> PILImage:
    """Scanner speckle (isolated dark and light dots) removed by a 3 x 3 median filter,
    which leaves strokes at least two pixels wide alone: at 200 dpi and more only."""
    from PIL import ImageFilter

    if dpi < DESPECKLE_MIN_DPI:
        return image
    return image.filter(ImageFilter.MedianFilter(3))


def _ocr(image: Path, number: int) -> tuple[Page, OcrPage]:
    result = _run(["tesseract", str(image), "stdout", "-l", "vie", "--psm", "3",
                   "--dpi", str(DPI), "tsv"])
    words: list[Word] = []
    lines: dict[tuple[str, str, str], list[Word]] = {}
    scores: list[tuple[float, int]] = []
    width = height = 0.0
    rows = csv.DictReader(io.StringIO(result.stdout.decode("utf-8", errors="replace")),
                          delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in rows:
        if row.get("level") == "1":
            width, height = float(row["width"]), float(row["height"])
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        conf = float(row["conf"])
        if not any(c.isalnum() for c in text) and conf < 60:
            continue     # specks of the scan read as punctuation ("-.:-", "¡", "|")
        left, top = float(row["left"]), float(row["top"])
        word = Word(text, left, left + float(row["width"]), top, top + float(row["height"]))
        words.append(word)
        lines.setdefault((row["block_num"], row["par_num"], row["line_num"]), []).append(word)
        if conf >= 0:
            scores.append((conf, len(text)))
    for line in lines.values():
        _level(line)
    letters = sum(n for _c, n in scores) or 1
    mean = sum(c * n for c, n in scores) / letters if scores else 0.0
    return Page(words, width, height), OcrPage(number, round(mean, 1), len(words))


def _level(line: list[Word]) -> None:
    """The words of one line Tesseract read set at the line's middle height: on a page
    scanned askew a long line climbs or falls by more than its height from end to end,
    and the layout, which groups words by height, would cut it in two."""
    middles = sorted((w.top + w.bottom) / 2 for w in line)
    heights = sorted(w.height for w in line)
    middle, half = middles[len(middles) // 2], heights[len(heights) // 2] / 2
    for word in line:
        word.top, word.bottom = middle - half, middle + half
