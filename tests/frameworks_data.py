"""A small plan document and helpers to build frameworks in tests."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.service import (
    add_default_periods,
    apply_indicator_settings,
    create_from_document,
    new_draft,
    publish,
    update_meta,
)
from tenants.scoping import system_scope
from tenants.unit import Unit

SMALL_PLAN = """ỦY BAN NHÂN DÂN
TỈNH MỘT
Số: 12/KH-UBND
Tỉnh Một, ngày 05 tháng 02 năm 2026
KẾ HOẠCH
Thực hiện công tác tiêu chuẩn, đo lường, chất lượng
Căn cứ Kế hoạch số 108/KH-UBND, UBND tỉnh ban hành Kế hoạch như sau:
I. MỤC ĐÍCH, YÊU CẦU
1. Mục đích
Nâng cao nhận thức.
2. Yêu cầu
Cụ thể, khả thi.
II. CHỈ TIÊU
1. Đến năm 2030
a) 100% công chức được đào tạo.
b) Tổ chức ít nhất 30 lớp tập huấn.
III. NHIỆM VỤ VÀ GIẢI PHÁP
1. Tuyên truyền
a) Tổ chức tuyên truyền Chỉ thị số 38-CT/TW.
b) Tổ chức diễn đàn đối thoại.
IV. KINH PHÍ THỰC HIỆN
Ngân sách nhà nước.
V. TỔ CHỨC THỰC HIỆN
1. Trách nhiệm chung
Các sở, ban, ngành, UBND huyện, UBND xã xây dựng kế hoạch.
2. Sở Khoa học và Công nghệ
Chủ trì, tổng hợp, báo cáo.
3. Các Sở, ban, ngành tỉnh; UBND huyện (hoặc UBND cấp dưới trực tiếp của UBND tỉnh); các Hội cấp tỉnh
Tổ chức thực hiện./.
"""


# How the owner configures the two indicators of SMALL_PLAN.
INDICATORS = {
    "II.1.a": {"kind": "ratio", "aggregation": "ratio_of_sums", "time_behaviour": "stock",
               "numerator_label": "Đã đào tạo", "denominator_label": "Tổng số",
               "unit_of_measure": "%", "target_final": 1, "target_year": 2030,
               "reporting_kinds": "department,district,commune"},
    "II.1.b": {"kind": "count", "aggregation": "sum", "time_behaviour": "cumulative",
               "unit_of_measure": "lớp", "target_final": 30, "target_year": 2030,
               "reporting_kinds": "department,district,commune"},
}


def make_framework(owner_code: str, *, published: bool = True, with_draft: bool = False,
                   text: str = SMALL_PLAN, indicators: dict | None = None) -> int:
    """A framework owned by ``owner_code``: version 1 (published) and maybe a draft 2."""
    with system_scope("test framework"):
        owner = db.session.scalar(select(Unit).where(Unit.code == owner_code))
        framework = create_from_document(owner, "kh.txt", text.encode())
        version = framework.versions[0]
        apply_indicator_settings(version, indicators or INDICATORS)
        if published:
            update_meta(version, {"doc_number": "12/KH-UBND", "issued_on": "05/02/2026",
                                  "issuer": "UBND", "place": "", "title": version.title})
            publish(version, None)
            add_default_periods(framework, [2026, 2027])
            if with_draft:
                new_draft(framework, None)
        db.session.commit()
        return framework.id


def framework(framework_id: int) -> Framework:
    return db.session.scalar(select(Framework).where(Framework.id == framework_id))
