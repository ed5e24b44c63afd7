"""Plans as they arrive: a signed PDF with its text layer, a scan read by OCR."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.extensions import db
from portal.frameworks import ingest, ocr
from portal.frameworks.document_ingest import DocumentIngest
from portal.frameworks.framework import Framework
from portal.frameworks.layout import Page, Word, page_text
from portal.frameworks.parser import DocumentError, parse_file, parse_pages, parse_text
from portal.frameworks.pdf import _words
from tenants.scoping import system_scope
from tests.conftest import csrf_token
from tests.pdf_documents import office, plan_pdf, reference_text, small_scan

needs_office = pytest.mark.skipif(office() is None, reason="LibreOffice is not installed "
                                                            "(scripts/setup.sh --browser)")


@pytest.fixture(scope="module")
def plan_108_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    if office() is None:
        pytest.skip("LibreOffice is not installed (scripts/setup.sh --browser)")
    return plan_pdf(tmp_path_factory.mktemp("pdf")).read_bytes()


def flat(outline: list[dict], prefix: str = "") -> list[tuple[str, str, str]]:
    out = []
    for node in outline:
        out.append((prefix + node["label"], node["title"], node["text"]))
        out += flat(node["children"], prefix + node["label"] + ".")
    return out


@needs_office
def test_a_signed_pdf_parses_as_its_text_layer(plan_108_pdf: bytes) -> None:
    expected = parse_text(reference_text()).as_dict()
    result = parse_file("kh-108.pdf", plan_108_pdf).as_dict()
    # the two-column header read as the parser expects it from the .txt layer
    assert result["meta"] == expected["meta"]
    assert result["meta"]["number"] == "108/KH-UBND"
    assert result["meta"]["issuer"] == "ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN"
    assert (result["meta"]["place"], result["meta"]["date"]) == ("Hưng Yên", "2025-05-26")
    # outlines, titles and texts exactly; running header and page numbers gone
    assert len(flat(result["outline"])) == len(flat(expected["outline"])) > 60
    assert flat(result["outline"]) == flat(expected["outline"])
    for part in ("preamble", "closing", "recipients", "signature", "warnings"):
        assert result[part] == expected[part], part
    assert "Kế hoạch số 108/KH-UBND của UBND tỉnh" not in str(result)


def glyphs(text: str, x: float = 72, top: float = 100, size: float = 12,
           advance: float = 6, space: float = 3) -> list[dict]:
    """Characters as a PDF text layer gives them: ``_`` is a gap without a space glyph,
    ``~`` a space glyph with no gap."""
    chars = []
    for char in text:
        if char == "_":
            x += space
            continue
        if char == "~":
            chars.append({"text": " ", "x0": x, "x1": x, "top": top, "bottom": top + size})
            continue
        chars.append({"text": char, "x0": x, "x1": x + advance, "top": top,
                      "bottom": top + size})
        x += advance
    return chars


def test_words_come_from_where_the_glyphs_stand() -> None:
    # glued in the text layer (no space glyph, a gap): put apart
    assert [w.text for w in _words(glyphs("về_đẩy_mạnh"))] == ["về", "đẩy", "mạnh"]
    # split by a stray space glyph inside a word (no gap): put back together
    assert [w.text for w in _words(glyphs("ch~ất_lượ~ng"))] == ["chất", "lượng"]
    # a tone mark drawn as a glyph of its own goes back on its letter (NFC)
    mark = {"text": "\u0301", "x0": 88, "x1": 88, "top": 100, "bottom": 112}
    marks = [*glyphs("cha"), mark]
    assert [w.text for w in _words(marks)] == ["chá"]


def test_running_headers_footers_and_page_numbers_are_dropped() -> None:
    bodies = ["Mục đích yêu cầu", "Nhiệm vụ cụ thể", "Giải pháp chủ yếu",
              "Tổ chức thực hiện", "Kinh phí thực hiện"]

    def page(number: int) -> Page:
        words = [] if number == 1 else [   # the first page has the document's own header
            Word("Kế", 72, 84, 30, 40), Word("hoạch", 86, 120, 30, 40),
            Word(f"{number}/5", 500, 520, 30, 40)]
        for row in range(3):
            words += [Word(w, 72 + 40 * i, 100 + 40 * i, 100 + 20 * row, 112 + 20 * row)
                      for i, w in enumerate(f"{bodies[number - 1]} dòng {row}".split())]
        words.append(Word(str(number), 290, 300, 800, 812))
        return Page(words, 595, 842)

    texts = page_text([page(n) for n in range(1, 6)])
    assert texts == ["\n".join(f"{body} dòng {row}" for row in range(3)) for body in bodies]


def test_two_column_header_is_read_column_by_column() -> None:
    def line(top: float, *parts: tuple[float, str]) -> list[Word]:
        out = []
        for x, text in parts:
            for word in text.split():
                out.append(Word(word, x, x + 8 * len(word), top, top + 12))
                x += 8 * len(word) + 4
        return out

    words = (line(50, (90, "UBND TỈNH HƯNG YÊN"), (330, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA"))
             + line(64, (80, "SỞ KHOA HỌC VÀ"), (350, "Độc lập - Tự do - Hạnh phúc"))
             + line(78, (95, "CÔNG NGHỆ"))
             + line(92, (90, "Số: 12/KH-SKHCN"), (330, "Hưng Yên, ngày 22"))
             + line(106, (360, "tháng 10 năm 2025"))
             + line(130, (270, "KẾ HOẠCH")))
    text = page_text([Page(words, 595, 842)])[0]
    assert text.splitlines() == [
        "UBND TỈNH HƯNG YÊN", "SỞ KHOA HỌC VÀ", "CÔNG NGHỆ", "Số: 12/KH-SKHCN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA", "Độc lập - Tự do - Hạnh phúc", "Hưng Yên, ngày 22",
        "tháng 10 năm 2025", "KẾ HOẠCH"]


def upload(client, name: str, data: bytes, code: str = "D1"):
    token = csrf_token(client, f"/units/{code}/frameworks")
    return client.post(f"/units/{code}/frameworks", content_type="multipart/form-data",
                       data={"csrf_token": token, "document": (io.BytesIO(data), name)})


@needs_office
def test_the_framework_upload_takes_a_signed_pdf(app: Flask, login_as,
                                                 plan_108_pdf: bytes) -> None:
    owner = login_as("consolidator")
    response = upload(owner, "kh-108.pdf", plan_108_pdf)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    fid = int(re.search(r"/frameworks/(\d+)/draft", response.location).group(1))
    with system_scope("test"):
        version = db.session.scalar(select(Framework).where(Framework.id == fid)).draft()
        assert (version.doc_number, version.place) == ("108/KH-UBND", "Hưng Yên")
        assert version.issued_on.isoformat() == "2025-05-26"


def test_a_damaged_pdf_is_explained_and_saves_nothing(app: Flask, login_as) -> None:
    response = upload(login_as("admin"), "kh.pdf", b"%PDF-1.5 not really")
    assert response.status_code == 422
    assert "Tệp PDF bị hỏng" in response.get_data(as_text=True)



# ---- scans: OCR in a background job --------------------------------------------------

needs_ocr = pytest.mark.skipif(not ocr.available(), reason="Tesseract or pdftoppm is not "
                                                           "installed (scripts/setup.sh)")


@pytest.fixture(scope="module")
def scan_png(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return small_scan(tmp_path_factory.mktemp("scan") / "scan.png").read_bytes()


def test_a_pdf_of_page_images_is_a_scan(scan_png: bytes) -> None:
    from PIL import Image

    out = io.BytesIO()
    Image.open(io.BytesIO(scan_png)).save(out, "PDF", resolution=300)
    with pytest.raises(DocumentError) as caught:
        parse_file("scan.pdf", out.getvalue())
    assert caught.value.code == "scan"


@needs_ocr
def test_a_scan_is_read_by_ocr_in_a_job_page_by_page(app: Flask, login_as, scan_png: bytes,
                                                     monkeypatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)   # in-process, as without Redis
    marks: list[dict] = []
    real_mark = ingest._mark
    monkeypatch.setattr(ingest, "_mark", lambda i, **v: (marks.append(v), real_mark(i, **v)))
    owner = login_as("consolidator")
    response = upload(owner, "ke-hoach-scan.png", scan_png)
    assert response.status_code == 302
    assert re.search(r"/frameworks/scans/\d+$", response.location)
    # the job ran (in-process without Redis), saying which page it was on
    assert {"progress": 1, "page": 1, "pages": 1} in marks
    progress = owner.get(response.location + "/progress")
    assert progress.status_code == 200
    draft_url = progress.headers["HX-Redirect"]
    fid = int(re.search(r"/frameworks/(\d+)/draft", draft_url).group(1))
    with system_scope("test"):
        row = db.session.scalar(select(DocumentIngest).where(DocumentIngest.framework_id == fid))
        assert row.status == "done" and row.data is None   # the scan is not kept
        assert row.confidence[0]["page"] == 1 and row.confidence[0]["confidence"] > 80
        version = db.session.scalar(select(Framework).where(Framework.id == fid)).draft()
        assert (version.doc_number, version.place) == ("12/KH-SKHCN", "Hưng Yên")
        assert version.issued_on.isoformat() == "2025-10-22"
        assert version.issuer == "SỞ KHOA HỌC VÀ CÔNG NGHỆ"
        assert version.warnings[0]["code"] == "ocr"
    page = owner.get(draft_url).get_data(as_text=True)
    assert "nhận dạng chữ (OCR) từ bản quét 1 trang" in page
    assert "theo trang: 1:" in page


def test_with_redis_the_scan_waits_for_the_worker_not_the_request(
        app: Flask, login_as, scan_png: bytes, monkeypatch) -> None:
    import fakeredis
    from rq import Queue

    connection = fakeredis.FakeRedis()
    monkeypatch.setattr("portal.jobs.redis_connection", lambda: connection)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://fake/0")
    monkeypatch.setattr(ingest, "read_scan", lambda *a: pytest.fail("read in the request"))
    owner = login_as("consolidator")
    response = upload(owner, "scan.png", scan_png)
    assert response.status_code == 302
    queued = Queue("exports", connection=connection).jobs
    assert [job.func_name for job in queued] == ["portal.frameworks.ingest.run_ingest"]
    page = owner.get(response.location).get_data(as_text=True)
    assert "Đang chờ" in page and "hx-get" in page      # the bar polls until it is read
    with system_scope("test"):
        row = db.session.scalar(select(DocumentIngest))
        assert (row.status, row.pages, row.data) == ("queued", 1, scan_png)


def test_low_confidence_pages_are_listed() -> None:
    warnings = ingest.ocr_warnings([ocr.OcrPage(1, 93.0, 300), ocr.OcrPage(2, 61.4, 280)])
    assert [(w.code, w.params.get("page")) for w in warnings] == [("ocr", None),
                                                                   ("ocr-page", 2)]
    assert warnings[0].params["per_page"] == "1: 93 %, 2: 61 %"


@pytest.mark.parametrize(("limit", "value", "message"), [
    ("MAX_PAGES", 0, "chỉ đọc được tối đa 0 trang"),
    ("MAX_PIXELS", 1000, "quá lớn để đọc"),
])
def test_scans_over_the_limits_are_refused_before_any_page_is_read(
        app: Flask, login_as, scan_png: bytes, monkeypatch, limit: str, value: int,
        message: str) -> None:
    monkeypatch.setattr(ocr, limit, value)
    monkeypatch.setattr(ocr, "read_scan", lambda *a: pytest.fail("read"))
    response = upload(login_as("consolidator"), "scan.png", scan_png)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with system_scope("test"):
        assert db.session.scalar(select(func.count()).select_from(DocumentIngest)) == 0


def test_place_and_issuing_bodies_get_their_diacritics_back_from_the_official_list() -> None:
    text = ("UBND TINH HUNG YEN   CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
            "SỞ KHOA HỌC VÀ CÔNG NGHỆ   Độc lập - Tự do - Hạnh phúc\n"
            "Số: 12/KH-SKHCN   Hung Yén, ngày 22 tháng 10 năm 2025\n"
            "KẾ HOẠCH\nKiểm tra đo lường\nI. MỤC ĐÍCH\n1. Mục đích\nNâng cao nhận thức.\n")
    result = parse_text(text)
    assert result.meta["place"] == "Hưng Yên"
    assert result.meta["issuer_parent"] == "UBND TỈNH HƯNG YÊN"
    restored = [w.params for w in result.warnings if w.code == "ocr-diacritics"]
    assert restored == [{"raw": "Hung Yén", "name": "Hưng Yên"},
                        {"raw": "UBND TINH HUNG YEN", "name": "UBND TỈNH HƯNG YÊN"}]
    # a name already right, or not on the list, is left alone and not reported
    right = parse_text(text.replace("Hung Yén", "Hưng Yên").replace("TINH HUNG YEN",
                                                                    "TỈNH HƯNG YÊN"))
    assert not [w for w in right.warnings if w.code == "ocr-diacritics"]
    unknown = parse_text(text.replace("Hung Yén", "Xyz Abc"))
    assert unknown.meta["place"] == "Xyz Abc"


def test_an_ocr_misread_letter_label_is_restored_from_its_sequence() -> None:
    text = ("KẾ HOẠCH\nKiểm tra\nI. NHIỆM VỤ\n1. Kiểm tra\n4) Tại các chợ.\n"
            "b} Tại cửa hàng.\nII NỘI DUNG KHÁC\n1. Tuyên truyền\n")
    result = parse_text(text).as_dict()
    assert flat(result["outline"])[:4] == [
        ("I", "NHIỆM VỤ", ""), ("I.1", "Kiểm tra", ""), ("I.1.a", "", "Tại các chợ."),
        ("I.1.b", "", "Tại cửa hàng.")]
    assert [n["label"] for n in result["outline"]] == ["I", "II"]
    assert [w["params"] for w in result["warnings"] if w["code"] == "ocr-label"] == [
        {"raw": "4)", "label": "a)"}, {"raw": "II (.)", "label": "II"}]


@pytest.mark.parametrize("header", [
    # broken over two lines, as a web copy breaks it
    "UBND TỈNH HÀ TĨNH   CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
    "Số: 25/KH-UBND   Hà Tĩnh, ngày 22\ntháng 10 năm 2020\n",
    # split across the header's two columns
    "UBND TỈNH HÀ TĨNH   CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
    "Số: 25/KH-UBND   Hà Tĩnh, ngày 22 tháng\nĐộc lập   10 năm 2020\n",
])
def test_a_place_and_date_line_broken_over_lines_is_read_whole(header: str) -> None:
    result = parse_text(header + "KẾ HOẠCH\nKiểm tra\nI. MỤC ĐÍCH\n1. Mục đích\nNâng cao.\n")
    assert (result.meta["place"], result.meta["date"]) == ("Hà Tĩnh", "2020-10-22")
    assert result.meta["number"] == "25/KH-UBND"
    assert result.meta["issuer"] == "UBND TỈNH HÀ TĨNH"


def test_a_roman_numeral_that_lost_a_stroke_is_restored_from_its_sequence() -> None:
    text = ("KẾ HOẠCH\nKiểm tra\nI. MỤC ĐÍCH\n1. Mục đích\nNâng cao.\nII. NHIỆM VỤ\n"
            "1. Kiểm tra\nII. TỔ CHỨC THỰC HIỆN\n1. Sở Khoa học\n")
    result = parse_text(text).as_dict()
    assert [n["label"] for n in result["outline"]] == ["I", "II", "III"]
    assert {"raw": "II (?)", "label": "III"} in [
        w["params"] for w in result["warnings"] if w["code"] == "ocr-label"]


def test_a_running_header_read_a_little_differently_on_each_page_is_dropped() -> None:
    variants = ["Kế hoạch số 108/KH-UBND của UBND tỉnh", "Kế hoạch. số 108/KH- UBND của UBND tỉnh",
                "Kế hoạch số 108/KH-UBND cua UBND tỉnh", "Kế hoạch số 108/KH-UBND của UBND tinh"]
    pages = []
    for number, header in enumerate(variants, start=1):
        words = [Word(w, 72 + 60 * i, 120 + 60 * i, 30, 40) for i, w in enumerate(header.split())]
        for row, text in enumerate(BODIES[number - 1]):
            words += [Word(w, 72 + 60 * i, 120 + 60 * i, 100 + 20 * row, 112 + 20 * row)
                      for i, w in enumerate(text.split())]
        pages.append(Page(words, 595, 842))
    assert page_text(pages) == ["\n".join(body) for body in BODIES]


BODIES = [("Mục đích yêu cầu", "Quán triệt nghiêm túc", "Phù hợp thực tiễn"),
          ("Nhiệm vụ cụ thể", "Tuyên truyền phổ biến", "Đào tạo bồi dưỡng"),
          ("Giải pháp chủ yếu", "Đầu tư trang thiết bị", "Hợp tác quốc tế"),
          ("Tổ chức thực hiện", "Sở Khoa học và Công nghệ", "Sở Tài chính")]


def test_a_first_numbered_item_read_as_a_lone_l_is_restored() -> None:
    result = parse_text("KẾ HOẠCH\nKiểm tra\nI. MỤC ĐÍCH\nl Mục đích .\na) Quán triệt.\n"
                        "2. Yêu cầu\nBảo đảm.\n").as_dict()
    assert [p for p, _t, _x in flat(result["outline"])] == ["I", "I.1", "I.1.a", "I.2"]
    assert flat(result["outline"])[1][1] == "Mục đích"
    assert {"raw": "l", "label": "1."} in [w["params"] for w in result["warnings"]
                                           if w["code"] == "ocr-label"]


# ---- issue 19, item 4: what real documents do to a parser, synthetic variants ----------

BODY = "KẾ HOẠCH\nKiểm tra\nI. MỤC ĐÍCH\n1. Mục đích\nNâng cao.\n"


@pytest.mark.parametrize("header", [
    # the date over three lines
    "UBND TỈNH HÀ TĨNH   CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
    "Số: 25/KH-UBND   Hà Tĩnh, ngày\n22 tháng 10\nnăm 2020\n",
    # the number's symbol broken after its hyphen, beside a whole date
    "UBND TỈNH HÀ TĨNH   CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
    "Số: 25/KH-   Hà Tĩnh, ngày 22 tháng 10 năm 2020\nUBND\n",
    # "Số:" alone, the number on the next line
    "UBND TỈNH HÀ TĨNH   CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
    "Số:   Hà Tĩnh, ngày 22 tháng 10 năm 2020\n25/KH-UBND\n",
    # the place broken before its comma
    "UBND TỈNH HÀ TĨNH   CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
    "Số: 25/KH-UBND   Hà\nTĩnh, ngày 22 tháng 10 năm 2020\n",
    # the columns one after the other, the motto broken over two lines
    "ỦY BAN NHÂN DÂN\nTỈNH HÀ TĨNH\nSố: 25/KH-UBND\nCỘNG HÒA XÃ HỘI\nCHỦ NGHĨA VIỆT NAM\n"
    "Độc lập - Tự do - Hạnh phúc\nHà Tĩnh, ngày 22\ntháng 10 năm 2020\n",
])
def test_number_place_and_date_broken_every_way_are_read_whole(header: str) -> None:
    result = parse_text(header + BODY)
    assert (result.meta["number"], result.meta["place"], result.meta["date"]) == (
        "25/KH-UBND", "Hà Tĩnh", "2020-10-22")
    assert "CỘNG HÒA" not in result.meta["issuer"] and "HÀ TĨNH" in result.meta["issuer"]


def test_a_field_that_is_not_there_stays_null_and_is_said() -> None:
    result = parse_text("UBND TỈNH HÀ TĨNH   CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
                        "Số: 25/KH-UBND   ngày    tháng    năm 2020\n" + BODY)
    assert (result.meta["place"], result.meta["date"]) == (None, None)
    assert {"missing-date", "header-missing"} <= {w.code for w in result.warnings}
    assert result.corrections == []


def test_labels_misread_by_ocr_are_restored_from_the_sequence_and_listed() -> None:
    pages = ["KẾ HOẠCH\nKiểm tra\nIL. MỤC ĐÍCH\n1. Mục đích\n4) Một.\nb} Hai.\nc) Ba.\nd) Bốn.\n",
             "d) Năm.\ne) Sáu.\nø) Bảy.\nh) Tám.\n¡) Chín.\n2, Yêu cầu của kế hoạch\n"
             "Bảo đảm.\nII NHIỆM VỤ\n1. Tuyên truyền\n"]
    result = parse_pages(pages)
    outline = flat(result.as_dict()["outline"])
    assert [p for p, _t, _x in outline] == [
        "I", "I.1", "I.1.a", "I.1.b", "I.1.c", "I.1.d", "I.1.đ", "I.1.e", "I.1.g", "I.1.h",
        "I.1.i", "I.2", "II", "II.1"]
    kinds = {(c.at, c.before, c.after) for c in result.corrections}
    assert {("I", "IL.", "I."), ("I.1.a", "4)", "a)"), ("I.1.g", "ø)", "g)"),
            ("I.1.i", "¡)", "i)"), ("I.2", "2,", "2.")} <= kinds
    assert ("I.1.đ", "d)", "đ)") in kinds
    pages_of = {c.at: c.page for c in result.corrections}
    assert (pages_of["I"], pages_of["I.1.g"]) == (1, 2)
    # a label OCR misread that the sequence does not expect is not forced into it
    stray = parse_text("KẾ HOẠCH\nKiểm tra\nI. MỤC ĐÍCH\n1. Mục đích\nø) Một.\n")
    assert [p for p, _t, _x in flat(stray.as_dict()["outline"])] == ["I", "I.1"]


def test_preamble_closing_recipients_and_signature_stay_out_of_the_outline() -> None:
    text = ("UBND TỈNH HÀ TĨNH   CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
            "Số: 25/KH-UBND   Hà Tĩnh, ngày 22 tháng 10 năm 2020\nKẾ HOẠCH\nKiểm tra\n"
            "Căn cứ Luật Đo lường;\nI. Mục đích, yêu cầu\n1. Mục đích: Nâng cao nhận thức của "
            "cán bộ về đo lường.\nTrên đây là Kế hoạch của UBND tỉnh./.\n"
            "Nơi nhận:   KT. CHỦ TỊCH\n- Sở Khoa học và Công nghệ;   PHÓ CHỦ TỊCH\n- Lưu: VT.\n"
            "Nguyễn Văn An\n")
    got = parse_text(text).as_dict()
    assert flat(got["outline"]) == [("I", "Mục đích, yêu cầu", ""), (
        "I.1", "Mục đích", "Nâng cao nhận thức của cán bộ về đo lường.")]
    assert got["preamble"] == "Căn cứ Luật Đo lường;"
    assert got["closing"].startswith("Trên đây là Kế hoạch")
    assert got["recipients"] == ["Sở Khoa học và Công nghệ;", "Lưu: VT."]
    assert (got["signature"]["authority"], got["signature"]["signer"]) == (
        "KT. CHỦ TỊCH", "Nguyễn Văn An")


def test_the_job_keeps_the_corrections_for_the_review_screen(app: Flask, login_as,
                                                             scan_png: bytes,
                                                             monkeypatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    pages = ["UBND TINH HUNG YEN   CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
             "SỞ KHOA HỌC VÀ CÔNG NGHỆ   Độc lập - Tự do - Hạnh phúc\n"
             "Số: 12/KH-SKHCN   Hưng Yên, ngày 22 tháng 10 năm 2025\nKẾ HOẠCH\nKiểm tra\n"
             "I. MỤC ĐÍCH\n1. Mục đích\n4) Tại các chợ.\n", "b) Tại cửa hàng.\n"]
    monkeypatch.setattr(ingest, "read_scan",
                        lambda data, progress=None, keep_image=None: ocr.OcrText(
        pages, [ocr.OcrPage(1, 90.0, 40), ocr.OcrPage(2, 91.0, 5)]))
    monkeypatch.setattr(ingest, "count_pages", lambda data: 2)
    owner = login_as("consolidator")
    assert upload(owner, "scan.png", scan_png).status_code == 302
    with system_scope("test"):
        row = db.session.scalar(select(DocumentIngest))
        assert row.status == "done", row.error
        assert [(c["page"], c["kind"], c["at"], c["before"], c["after"])
                for c in row.corrections] == [
            (1, "name", "issuer_parent", "UBND TINH HUNG YEN", "UBND TỈNH HƯNG YÊN"),
            (1, "label", "I.1.a", "4)", "a)")]
        assert row.corrections[1]["message"].startswith("Trang 1: Nhãn “4)”")
