"""The document parser: Plan 108 exactly, a varied corpus, OCR damage, bad files."""

from __future__ import annotations

import io
import json
import re
import unicodedata
from pathlib import Path

import pytest

from portal.data import PLAN_108
from portal.frameworks.parser import DocumentError, parse_file, parse_text

ROOT = Path(__file__).resolve().parent
PLAN = PLAN_108
GOLDEN = ROOT / "golden" / "KH-108-UBND-2025.json"
CORPUS = ROOT / "corpus"


def paths(outline: list[dict], prefix: str = "") -> list[str]:
    out = []
    for node in outline:
        path = f"{prefix}.{node['label']}" if prefix else node["label"]
        out.append(path)
        out += paths(node["children"], path)
    return out


def warnings_of(result: dict, code: str) -> list[tuple[str | None, str]]:
    return [(w["at"], w["message"]) for w in result["warnings"] if w["code"] == code]


def test_plan_108_comes_out_exactly_as_reviewed() -> None:
    result = parse_file(PLAN.name, PLAN.read_bytes()).as_dict()
    assert result == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_plan_108_key_facts() -> None:
    result = parse_file(PLAN.name, PLAN.read_bytes()).as_dict()
    all_paths = paths(result["outline"])
    assert [p for p in all_paths if p.startswith("II.1.")] == [
        "II.1.a", "II.1.b", "II.1.c", "II.1.d", "II.1.đ", "II.1.e", "II.1.g", "II.1.h",
        "II.1.i"]
    assert [p for p in all_paths if p.count(".") == 0] == ["I", "II", "III", "IV", "V"]
    assert "V.5" not in all_paths and "V.11.b" not in all_paths
    assert warnings_of(result, "numbering-gap") == [("V", "item 5 is missing"),
                                                    ("V.11", "item b is missing")]
    # the text layer of the signed PDF carries no header block: nothing is guessed
    assert result["meta"]["number"] is None and result["meta"]["date"] is None
    assert result["meta"]["doc_type"] == "KH"
    assert "về đẩy mạnh" in result["meta"]["title"]  # "vềđẩy" in the text layer
    assert result["signature"] == {"formula": "TM. ỦY BAN NHÂN DÂN",
                                   "authority": "KT. CHỦ TỊCH", "title": "PHÓ CHỦ TỊCH",
                                   "signer": "Nguyễn Duy Hưng"}
    assert result["recipients"][-1] == "Lưu: VT, KGVXPH."
    assert result["closing"].startswith("Quá trình triển khai thực hiện")


def test_web_copy_of_another_province() -> None:
    result = parse_file("kh.txt", (CORPUS / "web-copy-thai-binh.txt").read_bytes()).as_dict()
    assert result["meta"] == {
        "issuer": "ỦY BAN NHÂN DÂN HUYỆN KIẾN XƯƠNG", "number": "25/KH-UBND",
        "doc_type": "KH", "place": "Kiến Xương", "date": "2026-01-05",
        "title": "Triển khai công tác tiêu chuẩn, đo lường, chất lượng trên địa bàn huyện "
                 "năm 2026"}
    assert paths(result["outline"]) == [
        "I", "I.1", "I.2", "II", "II.1", "II.1.1.1", "II.1.1.2", "II.2", "II.2.a",
        "II.2.c", "II.2.b", "II.3", "IV", "V", "V.1", "V.2"]
    task = result["outline"][1]["children"][0]["children"][0]
    assert task["text"] == ("Tổ chức tuyên truyền trên hệ thống truyền thanh cơ sở ít nhất 12 "
                            "lần trong năm; nội dung gồm:\n- Chỉ thị số 38-CT/TW của Ban Bí "
                            "thư;\n- Kế hoạch số 108/KH-UBND của UBND tỉnh.")
    mended = result["outline"][1]["children"][0]["children"][1]["text"]
    assert "chất lượng sản phẩm" in mended  # "chất lượ-" / "ng" across the line break
    assert warnings_of(result, "numbering-gap") == [(None, "item III is missing"),
                                                    ("II.2", "item b is missing")]
    assert warnings_of(result, "numbering-order") == [("II.2", "item b comes after item c")]
    assert result["signature"]["formula"] == "TM. ỦY BAN NHÂN DÂN"
    assert result["signature"]["signer"] == "Trần Văn Nam"
    assert result["recipients"] == ["UBND tỉnh (b/c);", "Sở Khoa học và Công nghệ;",
                                    "Lưu: VT."]
    assert "Trang 3" not in json.dumps(result, ensure_ascii=False)


def test_section_starting_at_two_and_repeats() -> None:
    text = ("KẾ HOẠCH\nThử nghiệm\nII. NHIỆM VỤ\n1. Một\na) Việc một.\na) Việc lặp.\n"
            "III. TỔ CHỨC\n2. Hai\nNội dung./.")
    result = parse_text(text).as_dict()
    assert warnings_of(result, "numbering-start") == [(None, "numbering starts at II"),
                                                      ("III", "numbering starts at 2")]
    assert warnings_of(result, "numbering-repeat") == [("II.1", "item a appears twice")]


def strip_marks(text: str) -> str:
    """What OCR without a Vietnamese model returns: the letters, no diacritics."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def ocr_copy(text: str) -> str:
    """Plan 108 as a scan read by OCR: no diacritics, damaged labels, a header."""
    text = strip_marks(text)
    damage = [(r"^II\. MOT SO CHI TIEU CHU YEU", "I1.MOQT SO CHI TIEU CHU YEU"),
              (r"^III\. ", "I11. "), (r"^c\) Trien khai it nhat 10", "C) Trien khai it nhat 10"),
              (r"^c\) Long ghep", "¢) Long ghep"), (r"^i\) Nang cao", "1) Nang cao"),
              (r"^ 2\. Ra soat", "2 . Ra soat")]
    for pattern, replacement in damage:
        text, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
        assert count == 1, pattern
    header = ("UY BAN NHAN DAN\nTINH HUNG YEN\nCONG HOA XA HOI CHU NGHIA VIET NAM\n"
              "Doc lap - Tu do - Hanh phuc\nS6:108  /KH-UBND\n"
              "Hung Yen, ngay 26 thang 5 nam 2025\n\n")
    return header + text


def test_ocr_scan_without_diacritics_gives_the_same_outline() -> None:
    clean = json.loads(GOLDEN.read_text(encoding="utf-8"))
    result = parse_text(ocr_copy(PLAN.read_text(encoding="utf-8"))).as_dict()
    expected = [strip_marks(p) for p in paths(clean["outline"])]
    # labels keep their Vietnamese letter: "đ" is recovered from the sequence d → đ
    assert [strip_marks(p) for p in paths(result["outline"])] == expected
    assert "II.1.đ" in paths(result["outline"])
    assert result["meta"]["number"] == "108/KH-UBND"
    assert result["meta"]["date"] == "2025-05-26"
    # issue 19 item 4: the issuing body and the place get their diacritics back from the
    # official unit list, each restoration reported
    assert result["meta"]["issuer"] == "ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN"
    assert result["meta"]["place"] == "Hưng Yên"
    assert [w["params"]["raw"] for w in result["warnings"]
            if w["code"] == "ocr-diacritics"] == ["Hung Yen", "UY BAN NHAN DAN TINH HUNG YEN"]
    assert result["outline"][1]["title"] == "MOQT SO CHI TIEU CHU YEU"
    codes = {w["code"] for w in result["warnings"]}
    assert {"no-diacritics", "ocr-label", "ocr-number"} <= codes
    read_as = [m for _at, m in warnings_of(result, "ocr-label")]
    assert "read 'I1' as the section 'II'" in read_as
    assert "read '¢)' as 'c)'" in read_as and "read '1)' as 'i)'" in read_as
    assert warnings_of(result, "numbering-gap") == warnings_of(clean, "numbering-gap")


def test_a_document_cut_off_part_way() -> None:
    lines = PLAN.read_text(encoding="utf-8").splitlines()
    cut = next(i for i, line in enumerate(lines) if line.strip().startswith("4. Công an"))
    result = parse_text("\n".join(lines[:cut + 3])).as_dict()
    found = paths(result["outline"])
    assert found[-1] == "V.4"
    assert found == paths(json.loads(GOLDEN.read_text(encoding="utf-8"))["outline"])[
        :len(found)]
    assert warnings_of(result, "truncated")[0][0] == "V.4"


def build_docx(golden: dict) -> bytes:
    from docx import Document

    document = Document()
    header = document.add_table(rows=1, cols=2)
    left, right = header.rows[0].cells
    left.text = "ỦY BAN NHÂN DÂN"
    left.add_paragraph("TỈNH HƯNG YÊN")
    left.add_paragraph("Số: 108/KH-UBND")
    right.text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    right.add_paragraph("Độc lập - Tự do - Hạnh phúc")
    right.add_paragraph("Hưng Yên, ngày 26 tháng 5 năm 2025")
    document.add_paragraph("KẾ HOẠCH")
    document.add_paragraph(golden["meta"]["title"])
    document.add_paragraph(golden["preamble"])

    def add(nodes: list[dict], level: int) -> None:
        for node in nodes:
            if level == 2:  # lettered items: "a) text"
                document.add_paragraph(f"{node['label']}) {node['text']}")
            else:
                document.add_paragraph(f"{node['label']}. {node['title']}")
                if node["text"]:
                    document.add_paragraph(node["text"])
            add(node["children"], level + 1)

    add(golden["outline"], 0)
    document.add_paragraph(golden["closing"])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_with_a_header_table() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    result = parse_file("kh.docx", build_docx(golden)).as_dict()
    assert result["meta"] == {**golden["meta"], "issuer": "ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN",
                              "number": "108/KH-UBND", "place": "Hưng Yên",
                              "date": "2025-05-26"}
    assert result["outline"] == golden["outline"]
    assert result["closing"] == golden["closing"]


@pytest.mark.parametrize(("name", "data", "code"), [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"   \n\n  ", "empty"),
    ("plan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "pdf-corrupt"),
    ("plan.docx", b"PK\x03\x04not really a zip", "corrupt"),
    ("plan.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "format"),
    ("letter.txt", "Kính gửi anh.\nXin cảm ơn.".encode(), "not-a-plan"),
    ("latin1.txt", "code\xff\xfe\xfd".encode("latin-1") + b"\x81\x8d", "encoding"),
])
def test_files_that_are_not_plans(name: str, data: bytes, code: str) -> None:
    with pytest.raises(DocumentError) as caught:
        parse_file(name, data)
    assert caught.value.code == code


def to_cp1258(text: str) -> bytes:
    """Windows-1258: vowel shapes precomposed (â ê ô ă ơ ư), tone marks combining."""
    out = ""
    for cluster in re.findall(r".[\u0300-\u036f]*", unicodedata.normalize("NFD", text),
                              flags=re.DOTALL):
        shapes = "".join(c for c in cluster[1:] if c in "\u0302\u0306\u031b")
        tones = "".join(c for c in cluster[1:] if c not in shapes)
        out += unicodedata.normalize("NFC", cluster[0] + shapes) + tones
    return out.encode("cp1258")


def test_windows_1258_text_is_read_with_a_warning() -> None:
    text = "KẾ HOẠCH\nThử\nI. MỤC ĐÍCH\n1. Mục đích\nNâng cao nhận thức./."
    data = to_cp1258(text)
    result = parse_file("kh.txt", data).as_dict()
    assert result["outline"][0]["children"][0]["title"] == "Mục đích"
    assert result["warnings"][0]["code"] == "encoding"


def test_a_department_report_without_sections() -> None:
    result = parse_file("bc.txt", (CORPUS / "department-report.txt").read_bytes()).as_dict()
    assert result["meta"] == {
        "issuer": "SỞ KHOA HỌC VÀ CÔNG NGHỆ", "issuer_parent": "UBND TỈNH HƯNG YÊN",
        "number": "1205/BC-SKHCN", "doc_type": "BC", "place": "Hưng Yên",
        "date": "2025-11-25", "title": "Kết quả thực hiện Kế hoạch số 108/KH-UBND năm 2025",
        "addressee": "Ủy ban nhân dân tỉnh Hưng Yên."}
    assert paths(result["outline"]) == ["1", "1.1.1", "1.1.2", "2", "3"]
    assert result["outline"][1]["text"] == ("- Kinh phí còn hạn chế;\n- Thiết bị thử nghiệm "
                                            "chưa đồng bộ.")
    assert result["preamble"].startswith("Thực hiện Kế hoạch số 108/KH-UBND")
    assert result["signature"] == {"formula": None, "authority": "KT. GIÁM ĐỐC",
                                   "title": "PHÓ GIÁM ĐỐC", "signer": "Lê Thị Hoa"}
    assert result["recipients"] == ["Như trên;", "Lưu: VT, TĐC."]
    assert result["warnings"] == []
