"""What a second province needed of the product (issue 21 item 4; the journey is
tests/test_browser_province2.py): its owner adds indicators to a draft whose document
states none the reader found (the Bắc Ninh excerpt of tests/corpus: its plan's purpose
only), then sets what each measures on its page; and no page presents the platform as
Hưng Yên's Plan 108 to the people of another province or of the ministry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from tenants.scoping import system_scope
from tests.builders import framework, make_framework
from tests.conftest import csrf_token
from tests.test_framework_pages import upload

BAC_NINH = Path(__file__).parent / "corpus" / "bac-ninh-48-kh-ubnd-2025.txt"


def _indicators(fid: int) -> list[tuple[str, str, str, int]]:
    with system_scope("test"):
        version = framework(fid).draft()
        return [(i.code, i.name, i.kind, i.position) for i in db.session.scalars(
            select(Indicator).where(Indicator.version_id == version.id)
            .order_by(Indicator.position))]


def test_the_owner_adds_indicators_the_excerpt_does_not_state(app: Flask, login_as) -> None:
    owner = login_as("consolidator")
    response = upload(owner, BAC_NINH.name, BAC_NINH.read_bytes())
    assert response.status_code == 302
    draft_url = response.location
    fid = int(re.search(r"/frameworks/(\d+)/draft", draft_url)[1])
    page = owner.get(draft_url).get_data(as_text=True)
    # the header is read (number, date, place), the outline is the purpose only
    assert 'value="48/KH-UBND"' in page and 'value="28/08/2025"' in page
    assert "Chưa có chỉ tiêu." in page
    assert _indicators(fid) == []
    token = csrf_token(owner, draft_url)

    added = owner.post(f"/frameworks/{fid}/draft/indicators", data={
        "csrf_token": token, "code": "II.1.a",
        "name": "Phương tiện đo nhóm 2 được kiểm định"})
    assert added.status_code == 302
    first = _indicators(fid)
    assert first == [("II.1.a", "Phương tiện đo nhóm 2 được kiểm định", "text", 0)]
    # the owner is taken to its page, to say what it measures
    with system_scope("test"):
        first_id = db.session.scalar(select(Indicator.id).where(Indicator.code == "II.1.a",
                                                                Indicator.version_id ==
                                                                framework(fid).draft().id))
    assert added.location.endswith(f"/frameworks/{fid}/draft/indicators/{first_id}")

    # without a code: the next free CT<n>
    owner.post(f"/frameworks/{fid}/draft/indicators",
               data={"csrf_token": token, "name": "Lớp tập huấn về đo lường"})
    owner.post(f"/frameworks/{fid}/draft/indicators",
               data={"csrf_token": token, "name": "Kinh phí đầu tư chuẩn đo lường"})
    assert [(c, p) for c, _n, _k, p in _indicators(fid)] == [("II.1.a", 0), ("CT1", 1),
                                                             ("CT2", 2)]

    # refusals: no name, a code already used; nothing written
    empty = owner.post(f"/frameworks/{fid}/draft/indicators",
                       data={"csrf_token": token, "code": "X", "name": "  "})
    assert empty.status_code == 422 and "Nhập tên chỉ tiêu." in empty.get_data(as_text=True)
    twice = owner.post(f"/frameworks/{fid}/draft/indicators",
                       data={"csrf_token": token, "code": "CT1", "name": "Khác"})
    assert twice.status_code == 422
    assert "Bản dự thảo đã có chỉ tiêu CT1." in twice.get_data(as_text=True)
    assert len(_indicators(fid)) == 3


def test_only_a_draft_takes_new_indicators(app: Flask, login_as) -> None:
    from portal.frameworks.service import FrameworkError, add_indicator, publish

    owner = login_as("consolidator")
    response = upload(owner, BAC_NINH.name, BAC_NINH.read_bytes())
    fid = int(re.search(r"/frameworks/(\d+)/draft", response.location)[1])
    with system_scope("test"):
        version = framework(fid).draft()
        publish(version, None)
        with pytest.raises(FrameworkError) as refused_change:
            add_indicator(version, "Chỉ tiêu muộn")
        assert refused_change.value.messages == [
            "Không thể sửa phiên bản đã ban hành; hãy tạo phiên bản mới để thay đổi."]
        db.session.rollback()


def test_the_pages_name_no_one_provinces_plan(app: Flask, login_as) -> None:
    page = login_as("consolidator").get("/units/D1/frameworks").get_data(as_text=True)
    assert "Kế hoạch, báo cáo tiêu chuẩn, đo lường, chất lượng đến năm 2030" in page
    assert "Kế hoạch của Bộ, các tỉnh và đơn vị trực thuộc" in page
    assert "108/KH-UBND" not in page and "Hưng Yên" not in page


NATIONAL_TEXT = """KẾ HOẠCH
Triển khai Chỉ thị số 38-CT/TW
I. MỤC ĐÍCH
Kiểm tra.
II. CHỈ TIÊU
1. Đến năm 2030
a) Lớp đào tạo, tập huấn.
III. NHIỆM VỤ
1. Tuyên truyền
a) Tuyên truyền./.
"""
PROVINCES_ONLY = {"II.1.a": {"kind": "count", "aggregation": "sum",
                             "time_behaviour": "per_year", "reporting_kinds": "province"}}
EVERY_LEVEL = {"II.1.a": {**PROVINCES_ONLY["II.1.a"],
                          "reporting_kinds": "department,district,commune"}}


def test_a_commune_lists_no_report_on_the_national_plan(app: Flask, national_world,
                                                         login_as) -> None:
    """The national plan's obligation is the provinces': a commune below the ministry is
    offered the reports of its province's plan only (the second province's officer met
    two 2026 rows, one of them the national plan's), the province both."""
    national = make_framework("BKHCN", text=NATIONAL_TEXT, indicators=PROVINCES_ONLY)
    province = make_framework("NA", text=NATIONAL_TEXT.replace("Triển khai", "Tỉnh thực hiện"),
                              indicators=EVERY_LEVEL)
    leader = login_as("province leader")

    def listed(code: str) -> list[int]:
        page = leader.get(f"/units/{code}/reports").get_data(as_text=True)
        ids = [int(i) for i in re.findall(r'data-period-id="(\d+)"', page)]
        with system_scope("test"):
            return sorted({db.session.get(ReportingPeriod, i).framework_id for i in ids})

    assert listed("NA.C11") == [province]
    assert listed("NA") == sorted([national, province])


def test_a_commune_cannot_open_a_report_on_the_national_plan(app: Flask, national_world) -> None:
    """What the reports page does not offer, the domain refuses: the national plan's
    obligation is the provinces', so a commune's report on it is not opened (the page
    listed it before; a hand-made POST could still open one), the province's is."""
    from portal.reports.service import ReportError, open_report
    from tenants.unit import Unit

    national = make_framework("BKHCN", text=NATIONAL_TEXT, indicators=PROVINCES_ONLY)
    with system_scope("test"):
        period = db.session.scalar(select(ReportingPeriod).where(
            ReportingPeriod.framework_id == national).order_by(ReportingPeriod.year))
        commune = db.session.scalar(select(Unit).where(Unit.code == "NA.C11"))
        with pytest.raises(ReportError, match="không báo cáo theo kế hoạch này"):
            open_report(commune, period, None)
        province = db.session.scalar(select(Unit).where(Unit.code == "NA"))
        assert open_report(province, period, None).unit_id == province.id
