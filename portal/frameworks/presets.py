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

# The national plan of Decision 1703/QĐ-TTg (31/12/2024) as the demo reconstructs it
# (portal/data/README.md): the indicators of its section II.1, reported by the provinces.
# Plan 108's own indicators feed them through the mapping (NATIONAL_MAPPING_108).
PROVINCES = "province"
PLAN_1703_INDICATORS: dict[str, dict] = {
    "II.1.a": {**PLAN_108_INDICATORS["II.1.a"],
               "name": "Bộ, ngành, địa phương tổ chức quán triệt, tuyên truyền, phổ biến Chỉ "
                       "thị số 38-CT/TW và Kế hoạch", "reporting_kinds": PROVINCES},
    "II.1.b": {**PLAN_108_INDICATORS["II.1.b"], "target_scope": "sum",
               "reporting_kinds": PROVINCES},
    "II.1.c": {**PLAN_108_INDICATORS["II.1.c"], "target_final": None, "target_scope": "sum",
               "reporting_kinds": PROVINCES},
    "II.1.d": {**PLAN_108_INDICATORS["II.1.d"], "reporting_kinds": PROVINCES},
    "II.1.đ": {**PLAN_108_INDICATORS["II.1.đ"], "target_final": None,
               "reporting_kinds": PROVINCES},
    "II.1.e": {**PLAN_108_INDICATORS["II.1.e"], "reporting_kinds": PROVINCES},
    "II.1.g": {**PLAN_108_INDICATORS["II.1.g"], "targets": {},
               "reporting_kinds": PROVINCES},
    "II.1.h": {**PLAN_108_INDICATORS["II.1.h"], "unit_of_measure": "triệu đồng",
               "note": "Tổng hợp từ các địa phương, quy đổi ra triệu đồng.",
               "reporting_kinds": PROVINCES},
    "II.1.i": {"name": "Tỷ lệ tiêu chuẩn quốc gia hài hòa với tiêu chuẩn quốc tế, khu vực",
               "kind": "ratio", "unit_of_measure": "%", "time_behaviour": "stock",
               "aggregation": "ratio_of_sums", "target_final": Decimal("0.6"),
               "target_year": 2030, "target_scope": "own", "target_path": "yearly",
               "numerator_label": "Số TCVN hài hòa", "denominator_label": "Tổng số TCVN",
               "reporting_kinds": "nation"},
}

# How Plan 108's indicators feed the national ones: mode, national code, factor.
NATIONAL_MAPPING_108: dict[str, tuple[str, str | None, Decimal | None]] = {
    "II.1.a": ("same", "II.1.a", None),
    "II.1.b": ("same", "II.1.b", None),
    "II.1.c": ("same", "II.1.c", None),
    "II.1.d": ("same", "II.1.d", None),
    "II.1.đ": ("same", "II.1.đ", None),
    "II.1.e": ("same", "II.1.e", None),
    "II.1.g": ("same", "II.1.g", None),
    "II.1.h": ("factor", "II.1.h", Decimal("0.000001")),   # đồng → triệu đồng
    "II.1.i": ("none", None, None),                        # a text: no national figure
}

PRESETS = {"plan-108": PLAN_108_INDICATORS, "national-1703": PLAN_1703_INDICATORS}
