"""Check against the page: page images kept with the draft, each outline node's page and
line, the OCR's confidence per page, and the warnings listed with their pages."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.frameworks import ocr, page_images
from portal.frameworks.document_page import DocumentPage
from portal.frameworks.framework import Framework, FrameworkNode
from portal.frameworks.layout import Page, Word, page_text
from portal.frameworks.page_images import (
    LOW_CONFIDENCE,
    PAGE_IMAGE_MAX_BYTES,
    PAGE_WIDTH,
    locate_nodes,
    preview,
    review_warnings,
)
from tenants.scoping import system_scope
from tests.conftest import PASSWORD, csrf_token, login
from tests.pdf_documents import small_scan

needs_ocr = pytest.mark.skipif(not ocr.available(), reason="Tesseract or pdftoppm is not "
                                                           "installed (scripts/setup.sh)")


def page_of_lines(lines: list[str], width: float = 600, height: float = 800) -> Page:
    """A page whose words stand one line under the other, 20 points apart."""
    words = []
    for row, line in enumerate(lines):
        x = 50.0
        for text in line.split():
            words.append(Word(text, x, x + 8 * len(text), 40 + 20 * row, 52 + 20 * row))
            x += 8 * len(text) + 5
    return Page(words, width, height)


def node(position: int, label: str, title: str = "", text: str = "",
         path: str = "") -> FrameworkNode:
    return FrameworkNode(position=position, label=label, title=title, text=text,
                         path=path or label)


def test_each_node_records_the_page_and_line_it_was_read_from() -> None:
    pages = [page_of_lines(["KẾ HOẠCH", "Triển khai công tác đo lường",
                            "I. MỤC ĐÍCH, YÊU CẦU", "1. Mục đích",
                            "Nâng cao chất lượng quản lý đo lường."]),
             page_of_lines(["- 2 -", "2. Yêu cầu", "Bảo đảm đúng quy định.",
                            "II. NHIEM VU", "1. Kiem tra phuong tien do"]),
             page_of_lines(["a) Tại các chợ và cửa hàng.", "b) Tai cac co so xang dau."])]
    page_text(pages)                      # the lines, as the PDF and OCR readers leave them
    nodes = [node(0, "I", "MỤC ĐÍCH, YÊU CẦU"), node(1, "1", "Mục đích", path="I.1"),
             node(2, "2", "Yêu cầu", path="I.2"),
             # the parser gave the OCR'd heading its diacritics back: still found
             node(3, "II", "NHIỆM VỤ"), node(4, "1", "Kiểm tra phương tiện đo", path="II.1"),
             node(5, "a", "", "Tại các chợ và cửa hàng.", path="II.1.a"),
             # read so badly it is not on any page: the page of the item before it
             node(6, "b", "", "Zzzz qqqq wwww", path="II.1.b")]
    locate_nodes(nodes, pages)
    assert [n.page for n in nodes] == [1, 1, 2, 2, 2, 3, 3]
    # the box of its line, as fractions of the page: "1. Mục đích" is the 4th line
    left, top, right, bottom = nodes[1].box
    assert (left, top, bottom) == (round(50 / 600, 4), round(100 / 800, 4), round(112 / 800, 4))
    assert 0 < left < right <= 1
    assert nodes[6].box is None


def test_a_node_is_looked_for_after_the_one_before_it() -> None:
    """A heading that the title page also carries is found where the outline has it."""
    pages = [page_of_lines(["KẾ HOẠCH", "Kiểm tra phương tiện đo năm 2026"]),
             page_of_lines(["I. NHIỆM VỤ", "1. Kiểm tra phương tiện đo"])]
    page_text(pages)
    nodes = [node(0, "I", "NHIỆM VỤ"), node(1, "1", "Kiểm tra phương tiện đo", path="I.1")]
    locate_nodes(nodes, pages)
    assert [n.page for n in nodes] == [2, 2]


def pages_with(*confidences: float | None) -> list[DocumentPage]:
    return [DocumentPage(number=n, confidence=c, source="text" if c is None else "ocr",
                         width=1000, height=1400, size=1, storage_key="x", words=10)
            for n, c in enumerate(confidences, start=1)]


def test_low_confidence_pages_and_every_correction_are_warnings_with_their_page() -> None:
    pages = pages_with(93.0, LOW_CONFIDENCE - 0.5, 40.2, None)
    nodes = [node(0, "I", "A", path="I"), node(1, "1", "B", path="I.1"),
             node(2, "II", "C", path="II")]
    nodes[0].page, nodes[1].page, nodes[2].page = 1, 2, 4
    parser_warnings = [
        {"code": "ocr", "at": None, "message": "read by OCR", "params": {"pages": 4}},
        {"code": "ocr-page", "at": "trang 3", "message": "low", "params": {"page": 3,
                                                                          "confidence": 40}},
        {"code": "ocr-label", "at": "I.1", "message": "4) read as a)",
         "params": {"raw": "4)", "label": "a"}},
        {"code": "numbering-gap", "at": "I.1.c", "message": "gap", "params": {"item": "b"}},
        {"code": "ocr-diacritics", "at": None, "message": "Hung Yen", "params": {"raw": "x"}},
    ]
    out = review_warnings(parser_warnings, pages, nodes)
    assert [(w.warning["code"], w.page) for w in out] == [
        ("ocr-page", 2), ("ocr-page", 3),          # from the kept pages, each listed once
        ("ocr", None), ("ocr-label", 2),
        ("numbering-gap", 2),                      # under I.1: the nearest item above it
        ("ocr-diacritics", None)]
    assert out[0].warning["params"] == {"page": 2, "confidence": round(LOW_CONFIDENCE - 0.5)}
    # without page images (a .txt), the parser's own page warnings stay
    assert [w.warning["code"] for w in review_warnings(parser_warnings, [], nodes)][:2] == [
        "ocr", "ocr-page"]


def test_a_page_image_is_scaled_and_kept_under_its_size_limit() -> None:
    from PIL import Image, ImageDraw

    big = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(big)
    for y in range(100, 3400, 60):
        draw.text((150, y), "Tại các chợ và cửa hàng kinh doanh xăng dầu " * 3, fill=0)
    out = io.BytesIO()
    big.save(out, "PNG")
    image = preview(out.getvalue())
    assert (image.width, image.height) == (PAGE_WIDTH, round(3508 * PAGE_WIDTH / 2480))
    assert image.data.startswith(b"\xff\xd8\xff") and len(image.data) <= PAGE_IMAGE_MAX_BYTES
    assert preview(b"not an image") is None


def upload(client, name: str, data: bytes, code: str = "D1"):
    token = csrf_token(client, f"/units/{code}/frameworks")
    return client.post(f"/units/{code}/frameworks", content_type="multipart/form-data",
                       data={"csrf_token": token, "document": (io.BytesIO(data), name)})


def sibling_consolidator(app: Flask):
    """A consolidator of district D2: another tenant for D1's frameworks."""
    from portal.accounts.service import create_user, grant
    from tenants.unit import Unit

    with system_scope("test"):
        user = create_user("u.d2", PASSWORD, full_name="Người D2")
        grant(user, db.session.scalar(select(Unit).where(Unit.code == "D2")), "consolidator")
        db.session.commit()
    client = app.test_client()
    assert login(client, "u.d2", PASSWORD).status_code == 302
    return client


@pytest.fixture(scope="module")
def scan_png(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return small_scan(tmp_path_factory.mktemp("scan") / "scan.png").read_bytes()


@needs_ocr
def test_a_scan_is_reviewed_beside_its_pages(app: Flask, login_as, scan_png: bytes,
                                              monkeypatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)   # the OCR job runs in-process
    owner = login_as("consolidator")
    response = upload(owner, "ke-hoach-scan.png", scan_png)
    draft_url = owner.get(response.location + "/progress").headers["HX-Redirect"]
    fid = int(re.search(r"/frameworks/(\d+)/draft", draft_url).group(1))
    with system_scope("test"):
        version = db.session.scalar(select(Framework).where(Framework.id == fid)).draft()
        page = db.session.scalar(select(DocumentPage).where(DocumentPage.version_id == version.id))
        nodes = db.session.scalars(select(FrameworkNode).where(
            FrameworkNode.version_id == version.id).order_by(FrameworkNode.position)).all()
        assert (page.number, page.source, page.width) == (1, "ocr", PAGE_WIDTH)
        assert page.confidence > 80 and page.words > 30
        assert [n.page for n in nodes] == [1] * len(nodes) and len(nodes) >= 5
        boxes = [n.box for n in nodes]
        assert all(boxes) and [b[1] for b in boxes] == sorted(b[1] for b in boxes)
        node_id = nodes[0].id
    draft = owner.get(draft_url).get_data(as_text=True)
    review_url = f"/frameworks/{fid}/draft/pages"
    assert f'href="{review_url}#box-{node_id}"' in draft        # the node links to its page
    review = owner.get(review_url)
    html = review.get_data(as_text=True)
    assert review.status_code == 200
    assert 'alt="Trang 1"' in html and f'id="box-{node_id}"' in html
    assert re.search(r"Độ tin cậy OCR \d+ %", html)
    assert f'hx-post="/frameworks/{fid}/draft/nodes/{node_id}"' in html   # corrected inline
    image = owner.get(f"{review_url}/1")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert image.data.startswith(b"\xff\xd8\xff")
    assert image.headers["Cache-Control"] == "private, no-store"
    image.close()               # a streamed file holds its file open
    assert owner.get(f"{review_url}/2").status_code == 404       # no such page
    # another tenant does not see that the draft or its pages exist
    other = sibling_consolidator(app)
    assert other.get(review_url).status_code == 404
    hidden = other.get(f"{review_url}/1")
    assert hidden.status_code == 404 and not hidden.data.startswith(b"\xff\xd8")
    # a reader of the framework who may not change it: the draft is not theirs to see
    assert login_as("drafter").get(f"{review_url}/1").status_code == 403
    # the reading's automatic corrections are listed, each linking to its page
    from portal.frameworks.document_ingest import DocumentIngest

    with system_scope("test"):
        ingest_row = db.session.scalar(select(DocumentIngest).where(
            DocumentIngest.framework_id == fid))
        ingest_row.corrections = [{"page": 1, "kind": "label", "at": "I.1.a", "before": "4)",
                                   "after": "a)", "message": "Trang 1: Nhãn “4)” → “a)”"}]
        db.session.commit()
    listed = owner.get(review_url).get_data(as_text=True)
    corrections = listed[listed.index('data-testid="page-corrections"'):]
    assert '<a href="#page-1">Trang 1: Nhãn “4)” → “a)”</a>' in corrections


def text_pdf(pages: list[list[str]]) -> bytes:
    """A PDF with a text layer (Helvetica, plain ASCII), one line of text per entry."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 "
               "/BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    kids = []
    for lines in pages:
        stream = "BT /F1 11 Tf 14 TL 60 780 Td " + " ".join(
            f"({line}) Tj T*" for line in lines) + " ET"
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents "
                       f"{len(objects)} 0 R /Resources << /Font << /F1 3 0 R >> >> >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    return out


BODY = "Nang cao chat luong quan ly do luong tai dia phuong trong giai doan toi."


@needs_ocr
def test_a_text_layer_pdf_has_its_pages_rendered_and_no_ocr_confidence(
        app: Flask, login_as, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)   # the rendering job runs in-process
    data = text_pdf([["KE HOACH", "Trien khai cong tac do luong nam 2026",
                      "I. MUC DICH, YEU CAU", "1. Muc dich", BODY, "2. Yeu cau", BODY],
                     ["II. NHIEM VU", "1. Kiem tra phuong tien do", BODY,
                      "2. Tuyen truyen", BODY, "Noi nhan:", "- Nhu tren;"]])
    owner = login_as("consolidator")
    response = upload(owner, "ke-hoach.pdf", data)
    assert response.status_code == 302 and "/draft" in response.location
    fid = int(re.search(r"/frameworks/(\d+)/draft", response.location).group(1))
    with system_scope("test"):
        version = db.session.scalar(select(Framework).where(Framework.id == fid)).draft()
        pages = db.session.scalars(select(DocumentPage).where(
            DocumentPage.version_id == version.id).order_by(DocumentPage.number)).all()
        assert [(p.number, p.source, p.confidence) for p in pages] == [
            (1, "text", None), (2, "text", None)]
        located = {n.path: n.page for n in db.session.scalars(select(FrameworkNode).where(
            FrameworkNode.version_id == version.id))}
        assert located == {"I": 1, "I.1": 1, "I.2": 1, "II": 2, "II.1": 2, "II.2": 2}
    html = owner.get(f"/frameworks/{fid}/draft/pages").get_data(as_text=True)
    assert html.count('data-testid="page-confidence">lớp chữ<') == 2
    assert 'alt="Trang 2"' in html


def test_without_page_images_the_review_says_so(app: Flask, login_as, targets) -> None:
    owner = login_as("consolidator")
    fid = targets["own"]["framework_id"]
    with system_scope("test"):
        version = db.session.scalar(select(Framework).where(Framework.id == fid)).draft()
        db.session.execute(DocumentPage.__table__.delete().where(
            DocumentPage.version_id == version.id))
        db.session.commit()
    html = owner.get(f"/frameworks/{fid}/draft/pages").get_data(as_text=True)
    assert 'data-testid="no-pages"' in html
    assert owner.get(f"/frameworks/{fid}/draft/pages/1").status_code == 404
    assert page_images.LOW_CONFIDENCE == ocr.LOW_CONFIDENCE


def test_a_new_draft_keeps_the_pages_and_where_each_node_was_read(app: Flask, world) -> None:
    from portal.frameworks.service import new_draft
    from tests.builders import TINY_JPEG, framework, make_framework

    fid = make_framework("D1")
    with system_scope("test"):
        published = framework(fid).published()
        first = db.session.scalars(select(FrameworkNode).where(
            FrameworkNode.version_id == published.id).order_by(FrameworkNode.position)).first()
        first.page, first.box = 1, [0.1, 0.2, 0.5, 0.22]
        db.session.add(DocumentPage(version_id=published.id, owner_unit_id=published.owner_unit_id,
                                    number=1, storage_key="k" * 32, width=1, height=1,
                                    size=len(TINY_JPEG), source="ocr", confidence=70.0,
                                    words=3))
        draft = new_draft(framework(fid), None)
        copied = db.session.scalar(select(DocumentPage).where(
            DocumentPage.version_id == draft.id))
        twin = db.session.scalar(select(FrameworkNode).where(
            FrameworkNode.version_id == draft.id, FrameworkNode.path == first.path))
        assert (copied.number, copied.storage_key, copied.confidence) == (1, "k" * 32, 70.0)
        assert (twin.page, twin.box) == (1, [0.1, 0.2, 0.5, 0.22])
        db.session.rollback()


@needs_ocr
def test_with_redis_a_text_layer_pdf_is_rendered_by_the_worker_not_the_request(
        app: Flask, login_as, monkeypatch) -> None:
    import fakeredis
    from rq import Queue

    from portal.storage import StorageError, page_storage

    connection = fakeredis.FakeRedis()
    monkeypatch.setattr("portal.jobs.redis_connection", lambda: connection)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://fake/0")
    monkeypatch.setattr(page_images, "render_pdf_pages",
                        lambda data: pytest.fail("rendered in the request"))
    data = text_pdf([["KE HOACH", "I. MUC DICH", "1. Muc dich", BODY, "2. Yeu cau", BODY]])
    owner = login_as("consolidator")
    response = upload(owner, "ke-hoach.pdf", data)
    assert response.status_code == 302 and "/draft" in response.location   # the draft at once
    [job] = Queue("exports", connection=connection).jobs
    assert job.func_name == "portal.frameworks.page_images.render_text_pages"
    version_id, unit_id, key = job.args
    with system_scope("test"):
        assert db.session.scalar(select(DocumentPage).where(
            DocumentPage.version_id == version_id)) is None
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    assert page_images.render_text_pages(version_id, unit_id, key) == "done"   # the worker
    assert page_images.render_text_pages(version_id, unit_id, key) == "nothing to do"
    with system_scope("test"):
        pages = db.session.scalars(select(DocumentPage).where(
            DocumentPage.version_id == version_id)).all()
        assert [(p.number, p.source) for p in pages] == [(1, "text")]
    with pytest.raises(StorageError):
        page_storage().open(key)              # the PDF is not kept once rendered
