"""Signed-PDF look-alikes of Plan 108 for the PDF and OCR tests and the OCR benchmark.

Plan 108's text layer (portal/data) with the Decree 30 header it lacks, laid out in Word
the way a provincial office prints it (the two-column header table, a running header and
a page number in the footer), turned into a PDF by LibreOffice without a display, and, for
a scan, rasterized with pdftoppm and roughened with noise.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from portal.data import PLAN_108

if TYPE_CHECKING:
    from PIL import Image

HEADER_LEFT = ["ỦY BAN NHÂN DÂN", "TỈNH HƯNG YÊN", "Số: 108/KH-UBND"]
HEADER_RIGHT = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                "Hưng Yên, ngày 26 tháng 5 năm 2025"]
RUNNING_HEADER = "Kế hoạch số 108/KH-UBND của UBND tỉnh Hưng Yên"


def plan_lines() -> list[str]:
    return [line.strip() for line in PLAN_108.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def reference_text() -> str:
    """The .txt text layer the PDF must parse like: the header as a web copy gives it."""
    header = [f"{left}   {right}" for left, right in zip(HEADER_LEFT, HEADER_RIGHT,
                                                           strict=True)]
    return "\n".join(header + plan_lines()) + "\n"


def office() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def plan_docx(path: Path, *, size: float = 11, spacing: float = 0) -> Path:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21)
    section.left_margin, section.right_margin = Cm(2.5), Cm(1.5)
    section.top_margin = section.bottom_margin = Cm(2)
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Liberation Serif", Pt(size)
    style.paragraph_format.space_after = Pt(spacing)
    style.paragraph_format.space_before = Pt(0)
    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    for cell, lines, width in zip(table.rows[0].cells, (HEADER_LEFT, HEADER_RIGHT),
                                  (Cm(6.5), Cm(10.5)), strict=True):
        cell.width = width
        cell.paragraphs[0].text = lines[0]
        for line in lines[1:]:
            cell.add_paragraph(line)
        for paragraph in cell.paragraphs:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in plan_lines():
        document.add_paragraph(line)
    section.different_first_page_header_footer = True
    section.header.paragraphs[0].text = RUNNING_HEADER
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    footer._p.append(field)
    document.save(path)
    return path


def plan_pdf(folder: Path, *, size: float = 11, spacing: float = 0) -> Path:
    """Plan 108 as a PDF with a text layer, made by LibreOffice."""
    source = plan_docx(folder / "kh-108.docx", size=size, spacing=spacing)
    subprocess.run([office() or "soffice", "--headless", "--norestore",
                    f"-env:UserInstallation=file://{folder}/lo-profile",
                    "--convert-to", "pdf", "--outdir", str(folder), str(source)],
                   check=True, capture_output=True, timeout=180)
    return folder / "kh-108.pdf"


def scan_of(pdf: Path, folder: Path, *, dpi: int = 300, pages: int | None = None,
            noise: float = 0.01, seed: int = 108, rotate: float = 0.0) -> Path:
    """A scan of ``pdf``: its pages as grey images at ``dpi``, turned by up to ``rotate``
    degrees (each page a little differently, as a sheet lies on the glass), the ink
    blurred slightly and salt-and-pepper ``noise`` sprinkled over, put back together as a
    PDF without a text layer."""
    args = ["pdftoppm", "-r", str(dpi), "-gray"]
    if pages:
        args += ["-l", str(pages)]
    subprocess.run([*args, str(pdf), str(folder / "page")], check=True, timeout=600)
    rng = random.Random(seed)  # noqa: S311  # noise for a test scan, not a secret
    images = [roughen(path, rng, noise=noise, rotate=rotate)
              for path in sorted(folder.glob("page-*.pgm"),
                                 key=lambda p: int(p.stem.rsplit("-", 1)[1]))]
    out = folder / "scan.pdf"
    images[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return out


def roughen(path: Path, rng: random.Random, *, noise: float = 0.01,
            rotate: float = 0.0) -> Image.Image:
    """One page image as a scanner gives it: askew, blurred, speckled."""
    from PIL import Image, ImageFilter

    image = Image.open(path).convert("L")
    if rotate:
        angle = rotate * (0.5 + rng.random() / 2) * rng.choice((-1, 1))
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    image = image.filter(ImageFilter.GaussianBlur(0.6))
    pixels = image.load()
    width, height = image.size
    for _ in range(int(width * height * noise)):
        x, y = rng.randrange(width), rng.randrange(height)
        pixels[x, y] = 0 if rng.random() < 0.5 else 255  # type: ignore[index]  # a grey image
    return image


SMALL_SCAN_LEFT = ["UBND TỈNH HƯNG YÊN", "SỞ KHOA HỌC VÀ CÔNG NGHỆ", "Số: 12/KH-SKHCN"]
SMALL_SCAN_RIGHT = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                    "Hưng Yên, ngày 22 tháng 10 năm 2025"]
SMALL_SCAN_BODY = ["KẾ HOẠCH", "Kiểm tra đo lường năm 2026",
                   "I. MỤC ĐÍCH, YÊU CẦU", "1. Mục đích",
                   "Nâng cao chất lượng sản phẩm, hàng hóa trên địa bàn tỉnh.",
                   "2. Yêu cầu", "Bảo đảm đúng quy định của pháp luật.",
                   "II. NHIỆM VỤ", "1. Kiểm tra phương tiện đo", "a) Tại các chợ và cửa hàng.",
                   "b) Tại các cơ sở kinh doanh xăng dầu.", "2. Tuyên truyền"]


def small_scan(path: Path, *, dpi: int = 300) -> Path:
    """One page of a short plan as a scanner gives it (a PNG at ``dpi``), header included."""
    from PIL import Image, ImageDraw, ImageFont

    scale = dpi / 300
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
                              int(42 * scale))
    step = int(64 * scale)
    image = Image.new("L", (int(2480 * scale), step * 20), 255)
    draw = ImageDraw.Draw(image)
    y = step
    for left, right in zip(SMALL_SCAN_LEFT, SMALL_SCAN_RIGHT, strict=True):
        draw.text((int(150 * scale), y), left, font=font, fill=0)
        draw.text((int(1150 * scale), y), right, font=font, fill=0)
        y += step
    y += step
    for line in SMALL_SCAN_BODY:
        x = int(1100 * scale) if line == "KẾ HOẠCH" else int(200 * scale)
        draw.text((x, y), line, font=font, fill=0)
        y += step
    image.save(path, dpi=(dpi, dpi))
    return path


def text_pdfs(texts: dict[str, str], folder: Path, *, size: float = 11) -> dict[str, Path]:
    """Each text printed to a PDF with a text layer, a paragraph per line (as a web copy
    printed from the browser, or a plain-text document exported), by one LibreOffice run."""
    from docx import Document
    from docx.shared import Cm, Pt

    sources = []
    for name, text in texts.items():
        document = Document()
        section = document.sections[0]
        section.page_height, section.page_width = Cm(29.7), Cm(21)
        section.left_margin, section.right_margin = Cm(2.5), Cm(1.5)
        style = document.styles["Normal"]
        style.font.name, style.font.size = "Liberation Serif", Pt(size)
        style.paragraph_format.space_after = Pt(0)
        for line in text.splitlines():
            if line.strip():
                document.add_paragraph(line.strip())   # columns stay apart
        path = folder / f"{name}.docx"
        document.save(path)
        sources.append(str(path))
    subprocess.run([office() or "soffice", "--headless", "--norestore",
                    f"-env:UserInstallation=file://{folder}/lo-profile",
                    "--convert-to", "pdf", "--outdir", str(folder), *sources],
                   check=True, capture_output=True, timeout=300)
    return {name: folder / f"{name}.pdf" for name in texts}
