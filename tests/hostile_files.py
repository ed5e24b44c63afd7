"""Hostile Office files of the penetration test (issue 14): small uploads that unpack into
far more than they weigh, or carry entity declarations. Shared by tests/test_uploads.py
and benchmarks/upload_memory.py."""

from __future__ import annotations

import io
import zipfile

from docx import Document
from openpyxl import Workbook

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                    for i in range(1, 10))
          + "]>")


def _replace(base: bytes, name: str, chunks) -> bytes:
    """``base`` with the part ``name`` replaced by the concatenated ``chunks`` (streamed,
    so building a 100 MB part does not hold it in memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename == name:
                info = zipfile.ZipInfo(name)
                info.compress_type = zipfile.ZIP_DEFLATED
                with target.open(info, "w", force_zip64=True) as part:
                    for chunk in chunks:
                        part.write(chunk)
            else:
                target.writestr(item, source.read(item.filename))
    return out.getvalue()


def plain_docx(paragraphs: int = 40) -> bytes:
    document = Document()
    document.add_paragraph("KẾ HOẠCH")
    document.add_paragraph("I. MỤC ĐÍCH, YÊU CẦU")
    for i in range(1, paragraphs + 1):
        document.add_paragraph(f"{i}. Nhiệm vụ số {i}: triển khai tiêu chuẩn, đo lường.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_bomb(megabytes: int = 100) -> bytes:
    """A valid .docx whose document.xml unpacks to ``megabytes`` MB of paragraphs."""
    paragraph = (f'<w:p><w:r><w:t>{"Nhiệm vụ triển khai tiêu chuẩn " * 30}</w:t></w:r></w:p>'
                 .encode())
    per_mb = (1024 * 1024) // len(paragraph)

    def chunks():
        yield (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               f'<w:document xmlns:w="{W}"><w:body>').encode()
        for _ in range(megabytes):
            yield paragraph * per_mb
        yield b"</w:body></w:document>"

    return _replace(plain_docx(1), "word/document.xml", chunks())


def docx_laughs() -> bytes:
    """A .docx whose document.xml declares the billion-laughs entities."""
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>{LAUGHS}'
           f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>'
           f'</w:body></w:document>').encode()
    return _replace(plain_docx(1), "word/document.xml", [xml])


def plain_xlsx(rows: int = 20) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["username", "full_name", "unit", "role"])
    for i in range(rows):
        sheet.append([f"import.{i}", f"Người {i}", "D1", "drafter"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(rows: int, prolog: str = "", first: str = "import.0",
           distinct: bool = False):
    yield (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{S}">'
           '<sheetData>').encode()
    cells = ''.join(f'<c r="{c}1" t="inlineStr"><is><t>{v}</t></is></c>' for c, v in
                    zip("ABCD", ("username", "full_name", "unit", "role"), strict=True))
    yield f'<row r="1">{cells}</row>'.encode()
    batch: list[str] = []
    for i in range(2, rows + 2):
        name = first if i == 2 else f"import.{i}" if distinct else "import.x"
        # (no r="…" addresses: optional in the format, and the rows pack to nothing)
        batch.append(f'<row><c t="inlineStr"><is><t>{name}</t></is></c><c/>'
                     '<c t="inlineStr"><is><t>D1</t></is></c></row>')
        if len(batch) == 10000:
            yield "".join(batch).encode()
            batch = []
    yield ("".join(batch) + "</sheetData></worksheet>").encode()


def xlsx_rows(rows: int = 500_000, distinct: bool = False) -> bytes:
    """An .xlsx of ``rows`` account rows: the same row (500,000 pack to 170 KB), or
    ``distinct`` ones, which pack as a real sheet does."""
    return _replace(plain_xlsx(1), "xl/worksheets/sheet1.xml", _sheet(rows, distinct=distinct))


def xlsx_entity() -> bytes:
    """An .xlsx whose sheet declares entities and uses one in a cell."""
    return _replace(plain_xlsx(1), "xl/worksheets/sheet1.xml",
                    _sheet(3, prolog=LAUGHS, first="&lol9;"))


def zip_of_parts(parts: int = 3000) -> bytes:
    """An archive of many tiny parts (more than any Office document holds)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for i in range(parts):
            archive.writestr(f"word/p{i}", b"")
    return out.getvalue()


def docx_largest(megabytes: float = 6.9) -> bytes:
    """The largest .docx the guard lets through: ``megabytes`` MB of varied paragraphs
    (they pack about 4:1, as real text does), under the XML budget."""
    import random

    words = ["triển", "khai", "tiêu", "chuẩn", "đo", "lường", "chất", "lượng", "sản",
             "phẩm", "hàng", "hóa", "doanh", "nghiệp", "kiểm", "tra", "đánh", "giá", "năng",
             "suất", "xã", "huyện", "tỉnh", "kế", "hoạch", "nhiệm", "vụ", "báo", "cáo"]
    draw = random.Random(108)   # noqa: S311 - filler text, not a secret

    def chunks():
        yield (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               f'<w:document xmlns:w="{W}"><w:body>').encode()
        written, item = 0, 0
        while written < megabytes * 1024 * 1024:
            item += 1
            text = " ".join(draw.choice(words) for _ in range(40))
            chunk = f"<w:p><w:r><w:t>{item}. {text}</w:t></w:r></w:p>".encode()
            written += len(chunk)
            yield chunk
        yield b"</w:body></w:document>"

    return _replace(plain_docx(1), "word/document.xml", chunks())
