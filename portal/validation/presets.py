"""The validation rules Plan 108's framework ships with, on its indicators II.1.a–i
(portal/frameworks/presets.py). The owner edits or removes them like any other rule."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.frameworks.framework import Framework, FrameworkVersion
from portal.validation.rule import ValidationRule
from portal.validation.service import create_rule

PLAN_108_RULES: list[dict[str, str]] = [
    {"name": "Cảnh báo đã giải quyết không vượt số tiếp nhận",
     "left": "#{II.1.e:numerator}", "operator": "le", "right": "#{II.1.e:denominator}",
     "left_missing": "skip_if_any", "right_missing": "skip_if_any", "importance": "high",
     "instruction": "Số thông tin, cảnh báo đã giải quyết (II.1.e) không thể lớn hơn số "
                    "thông tin, cảnh báo tiếp nhận trong năm. Kiểm tra lại hai số này."},
    {"name": "Công chức được đào tạo không vượt tổng số công chức liên quan",
     "left": "#{II.1.d:numerator}", "operator": "le", "right": "#{II.1.d:denominator}",
     "left_missing": "skip_if_any", "right_missing": "skip_if_any", "importance": "high",
     "instruction": "Số công chức đã được đào tạo (II.1.d) không thể lớn hơn tổng số công "
                    "chức quản lý nhà nước liên quan của đơn vị."},
    {"name": "Chưa tuyên truyền, phổ biến thì không có hội nghị, diễn đàn",
     "left": "#{II.1.b} × (1 − #{II.1.a})", "operator": "eq", "right": "0",
     "left_missing": "skip_if_any", "right_missing": "skip_if_any", "importance": "high",
     "instruction": "Đơn vị trả lời “Không” ở II.1.a (chưa tổ chức nghiên cứu, quán triệt, "
                    "tuyên truyền) nhưng lại báo cáo có hội nghị, diễn đàn đối thoại (II.1.b). "
                    "Hội nghị, diễn đàn về tiêu chuẩn, đo lường, chất lượng là một hình thức "
                    "tuyên truyền: sửa một trong hai số liệu, hoặc giải trình."},
    {"name": "Số công chức liên quan không giảm quá một nửa so với năm trước",
     "left": "#{II.1.d:denominator}", "operator": "ge",
     "right": "0,5 × prev(#{II.1.d:denominator})",
     "left_missing": "skip_if_any", "right_missing": "skip_if_any", "importance": "medium",
     "instruction": "Tổng số công chức liên quan (II.1.d) giảm hơn một nửa so với báo cáo năm "
                    "trước. Kiểm tra lại số liệu; nếu đúng (sáp nhập, tinh giản), ghi rõ lý do."},
    {"name": "Có lớp tập huấn thì có công chức được đào tạo, và ngược lại",
     "left": "#{II.1.đ}", "operator": "pair", "right": "#{II.1.d:numerator}",
     "left_missing": "skip_if_any", "right_missing": "skip_if_any", "importance": "low",
     "instruction": "Đơn vị báo cáo số lớp đào tạo, tập huấn (II.1.đ) thì cũng báo cáo số "
                    "công chức đã được đào tạo (II.1.d), và ngược lại."},
]

PRESET_RULES = {"plan-108": PLAN_108_RULES}


def add_preset_rules(framework: Framework, preset: str = "plan-108") -> int:
    """Add the preset's rules the framework does not have yet (by name); returns how many."""
    have = set(db.session.scalars(select(ValidationRule.name).where(
        ValidationRule.framework_id == framework.id)))
    added = 0
    for rule in PRESET_RULES[preset]:
        if rule["name"] not in have:
            create_rule(framework, rule)
            added += 1
    return added


def plan_108_frameworks() -> list[Framework]:
    """The frameworks whose version in force or draft is Plan 108 (number 108/KH-UBND)."""
    return list(db.session.scalars(select(Framework).where(Framework.id.in_(
        select(FrameworkVersion.framework_id).where(
            FrameworkVersion.doc_number == "108/KH-UBND"))).order_by(Framework.id)))
