"""The consolidated Word report is built in time linear in its content: no step scans the
document body per paragraph added (python-docx's ``first_child_found_in`` on the body
did: a national report of 30,000 narrative lines took minutes)."""

from __future__ import annotations

from unittest import mock

from docx.oxml.xmlchemy import BaseOxmlElement

from portal.reports.consolidation_export import Sender, build_consolidation_docx

SENDER = Sender(body="Sở Khoa học và Công nghệ", parent="UBND tỉnh Hưng Yên",
                number="     /BC-SKHCN", addressee="Ủy ban nhân dân tỉnh Hưng Yên",
                place="Hưng Yên", signer_title="GIÁM ĐỐC", signer_name=None)
RESULT = {"reporting": {"expected": 2, "submitted": 2, "on_time": 1, "accepted": 1,
                        "rate": 1.0, "timeliness": 0.5},
          "indicators": {"II.1.a": {"value": 3}},
          "children": [{"unit": "33.01", "reporting": {
              "expected": 2, "submitted": 2, "on_time": 1, "accepted": 1, "rate": 1.0,
              "timeliness": 0.5}, "indicators": {"II.1.a": {"value": 3}}}]}


def _narrative(lines: int) -> dict[str, str]:
    body = "\n".join(("a) Đo lường" if n % 10 == 0 else
                      f"Xã số {n} đã tổ chức tập huấn về tiêu chuẩn cho doanh nghiệp.")
                     for n in range(lines))
    return {"results": body, "difficulties": body, "proposals": "Không."}


def _body_scans(lines: int) -> tuple[int, int]:
    """(children visited by first-child searches, paragraphs of the report)."""
    visited = 0
    original = BaseOxmlElement.first_child_found_in

    def counting(self, *tagnames):
        nonlocal visited
        visited += len(self)
        return original(self, *tagnames)

    with mock.patch.object(BaseOxmlElement, "first_child_found_in", counting):
        data = build_consolidation_docx(RESULT, sender=SENDER, year=2026,
                                        framework_number="108/KH-UBND", indicators={},
                                        names={}, narrative=_narrative(lines))
    return visited, data.count(b"<w:p>") + data.count(b"<w:p ")


def test_the_word_report_grows_linearly_with_its_narrative():
    small_visits, _ = _body_scans(200)
    large_visits, _ = _body_scans(1600)
    # Eight times the lines: a linear build visits at most about eight times the children
    # (it visits almost none: each new paragraph goes before the last child); the
    # quadratic one visited about 64 times as many.
    assert large_visits <= 8 * small_visits + 1000, (small_visits, large_visits)


def test_every_narrative_line_is_a_paragraph_in_order():
    from io import BytesIO

    from docx import Document

    data = build_consolidation_docx(RESULT, sender=SENDER, year=2026,
                                    framework_number="108/KH-UBND", indicators={},
                                    names={}, narrative=_narrative(30))
    texts = [p.text for p in Document(BytesIO(data)).paragraphs]
    start = texts.index("Kết quả đạt được")
    assert texts[start + 1] == "a) Đo lường"
    assert texts[start + 2].startswith("Xã số 1 ")
    assert texts.index("Khó khăn, vướng mắc và nguyên nhân") == start + 31
