"""Indicator settings that ship with the platform: Plan 108's nine indicators (II.1.a–i).

Semantics from PRODUCT.md § What the numbers mean. Ratios and shares are fractions
(1 = 100 %). The owner can change all of it on a draft version.
"""

from __future__ import annotations

from decimal import Decimal

ALL = "department,district,commune"
PROVINCIAL = "department,district"
YEARS = range(2025, 2031)

PLAN_108_INDICATORS: dict[str, dict] = {
    "II.1.a": {
        "name": "Đơn vị tổ chức nghiên cứu, quán triệt, tuyên truyền, phổ biến Chỉ thị số "
                "38-CT/TW, Quyết định số 1703/QĐ-TTg, Kế hoạch số 346-KH/TU",
        "kind": "yes_no", "unit_of_measure": "%", "time_behaviour": "per_year",
        "aggregation": "share_of_expected", "target_final": 1, "target_year": 2030,
        "target_scope": "share", "target_path": "yearly",
        "reporting_kinds": ALL,
        "targets": dict.fromkeys(YEARS, 1),
    },
    "II.1.b": {
        "name": "Hội nghị, diễn đàn đối thoại với doanh nghiệp, tổ chức, cá nhân về tiêu "
                "chuẩn, đo lường, chất lượng",
        "kind": "count", "unit_of_measure": "hội nghị", "time_behaviour": "per_year",
        "aggregation": "sum", "target_final": 1, "target_year": 2030,
        # "ít nhất 01 hội nghị mỗi năm": the province's own, not each unit's
        "target_scope": "own", "target_path": "yearly",
        "reporting_kinds": PROVINCIAL,
        "targets": dict.fromkeys(YEARS, 1),
    },
    "II.1.c": {
        "name": "Chương trình, đề án, nhiệm vụ khoa học công nghệ về tiêu chuẩn, đo lường, "
                "chất lượng",
        "kind": "count", "unit_of_measure": "nhiệm vụ", "time_behaviour": "cumulative",
        "aggregation": "sum", "target_final": 10, "target_year": 2030,
        # "ít nhất 10 chương trình … đến năm 2030": the province's own, on a straight line
        "target_scope": "own", "target_path": "linear",
        "reporting_kinds": PROVINCIAL,
    },
    "II.1.d": {
        "name": "Công chức quản lý nhà nước liên quan về tiêu chuẩn, đo lường, chất lượng "
                "được đào tạo",
        "kind": "ratio", "unit_of_measure": "%", "time_behaviour": "stock",
        "aggregation": "ratio_of_sums", "target_final": 1, "target_year": 2030,
        "target_scope": "sum", "target_path": "yearly",
        "numerator_label": "Số công chức đã được đào tạo",
        "denominator_label": "Tổng số công chức liên quan",
        "reporting_kinds": ALL,
    },
    "II.1.đ": {
        "name": "Lớp đào tạo, bồi dưỡng, tập huấn về tiêu chuẩn, đo lường, chất lượng",
        "kind": "count", "unit_of_measure": "lớp", "time_behaviour": "cumulative",
        "aggregation": "sum", "target_final": 30, "target_year": 2030,
        "target_scope": "sum", "target_path": "linear",
        "reporting_kinds": ALL,
    },
    "II.1.e": {
        "name": "Thông tin, cảnh báo về hàng hóa không phù hợp và phản ánh vi phạm được "
                "giải quyết",
        "kind": "ratio", "unit_of_measure": "%", "time_behaviour": "per_year",
        "aggregation": "ratio_of_sums", "target_final": 1, "target_year": 2030,
        "target_scope": "sum", "target_path": "yearly",
        # every warning resolved each year: a level to hold, not a climb
        "direction": "maintain", "tolerance": Decimal("0.05"),
        "numerator_label": "Số thông tin, cảnh báo đã giải quyết",
        "denominator_label": "Số thông tin, cảnh báo tiếp nhận",
        "reporting_kinds": PROVINCIAL,
        "targets": dict.fromkeys(YEARS, 1),
    },
    "II.1.g": {
        "name": "Sản phẩm, hàng hóa được khảo sát chất lượng",
        "kind": "count", "unit_of_measure": "sản phẩm", "time_behaviour": "per_year",
        "aggregation": "sum", "target_final": None, "target_year": 2030,
        "target_scope": "sum", "target_path": "yearly",
        "reporting_kinds": PROVINCIAL,
        "targets": dict.fromkeys(YEARS, 20),
    },
    "II.1.h": {
        "name": "Đầu tư trang thiết bị, công cụ, phương tiện kiểm tra",
        "kind": "amount", "unit_of_measure": "đồng", "time_behaviour": "per_year",
        "aggregation": "sum", "target_final": None, "target_year": 2030,
        "reporting_kinds": PROVINCIAL,
        "note": "Ghi kèm nội dung đầu tư trong phần ghi chú.",
    },
    "II.1.i": {
        "name": "Nâng cao năng lực thử nghiệm, kiểm định, giám định",
        "kind": "text", "unit_of_measure": "", "time_behaviour": "per_year",
        "aggregation": "none", "target_final": None, "target_year": 2030,
        "reporting_kinds": "department",
    },
}

PRESETS = {"plan-108": PLAN_108_INDICATORS}
