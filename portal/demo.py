"""The demo province: Hưng Yên in the legacy structure, its bodies, one account per role.

Idempotent: running it again changes nothing and says so.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from portal.accounts.service import create_user, find_user, grant
from portal.extensions import db
from tenants.tree import add_unit, import_units, read_unit_csv
from tenants.unit import Unit, UnitKind

PROVINCE = "33"
LEGACY_FILE = "admin-units-vn-legacy-2025-01.csv"
DEMO_PASSWORD = "HungYen@2025"  # noqa: S105 - published in the README for the demo only

# The departments and bodies Plan 108 names in Section V.
BODIES = [
    ("33.SKHCN", "Sở Khoa học và Công nghệ"),
    ("33.SCT", "Sở Công Thương"),
    ("33.STC", "Sở Tài chính"),
    ("33.TTT", "Thanh tra tỉnh"),
    ("33.CAT", "Công an tỉnh"),
    ("33.BCHQS", "Bộ Chỉ huy quân sự tỉnh"),
    ("33.BAOHY", "Báo Hưng Yên"),
    ("33.MTTQ", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh"),
    ("33.HHDN", "Hiệp hội Doanh nghiệp tỉnh"),
]

# username, full name, unit code, role — documented in the README.
ACCOUNTS = [
    ("canbo.xa", "Nguyễn Văn An", "11989", "drafter"),        # Xã Lạc Đạo, Văn Lâm
    ("chutich.xa", "Trần Thị Bình", "11989", "head"),
    ("chuyenvien.huyen", "Lê Văn Cường", "325", "reviewer"),  # Huyện Văn Lâm
    ("lanhdao.huyen", "Phạm Thị Dung", "325", "leader"),
    ("canbo.skhcn", "Hoàng Văn Em", "33.SKHCN", "drafter"),
    ("tonghop.skhcn", "Vũ Thị Giang", PROVINCE, "consolidator"),
    ("lanhdao.tinh", "Đỗ Văn Hùng", PROVINCE, "leader"),
    ("quantri.tinh", "Ngô Thị Lan", PROVINCE, "admin"),
]
OPERATOR = ("vanhanh", "Quản trị nền tảng")


def data_dir(explicit: Path | None = None) -> Path:
    if explicit:
        return explicit
    if os.environ.get("PORTAL_DATA_DIR"):
        return Path(os.environ["PORTAL_DATA_DIR"])
    return Path(current_app.root_path).parent.parent / "shared" / "data"


def seed(explicit_dir: Path | None = None) -> Iterator[str]:
    """Load the demo; yields one line per step for the command to print."""
    source = data_dir(explicit_dir) / LEGACY_FILE
    result = import_units(read_unit_csv(source.read_bytes()), only=PROVINCE)
    yield f"units of Hưng Yên: {result.created} added, {result.unchanged} already present"

    added = 0
    for code, name in BODIES:
        if db.session.scalar(select(Unit.id).where(Unit.code == code)) is None:
            add_unit(code, name, UnitKind.DEPARTMENT.value, PROVINCE)
            added += 1
    yield f"departments and bodies: {added} added, {len(BODIES) - added} already present"

    created = 0
    for username, full_name, unit_code, role in ACCOUNTS:
        user = find_user(username)
        if user is None:
            user = create_user(username, DEMO_PASSWORD, full_name=full_name,
                               email=f"{username}@demo.invalid")  # reminders go to files
            created += 1
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        grant(user, unit, role)  # type: ignore[arg-type]
    if find_user(OPERATOR[0]) is None:
        create_user(OPERATOR[0], DEMO_PASSWORD, full_name=OPERATOR[1], platform_admin=True)
        created += 1
    yield f"demo accounts: {created} created (password {DEMO_PASSWORD})"
    yield _seed_plan_108(explicit_dir)


PLAN_108_FILE = "KH-108-UBND-2025.txt"


def _seed_plan_108(explicit_dir: Path | None) -> str:
    """Plan 108 as the province's framework: nine indicators, periods 2025–2030, published.

    The text layer of the signed PDF has no header block, so the number, date and
    issuer are filled in as the framework owner would.
    """
    from portal.frameworks.framework import Framework, FrameworkVersion
    from portal.frameworks.loading import load_framework

    existing = db.session.scalar(
        select(Framework).join(FrameworkVersion)
        .where(Framework.owner_unit_id == _province_id(),
               FrameworkVersion.doc_number == "108/KH-UBND"))
    if existing is not None:
        return "Plan 108 framework: already present"
    source = data_dir(explicit_dir).parent / "plan" / PLAN_108_FILE
    framework = load_framework(
        source.name, source.read_bytes(), PROVINCE,
        name="Kế hoạch 108/KH-UBND: tiêu chuẩn, đo lường, chất lượng đến năm 2030",
        number="108/KH-UBND", issued_on="26/05/2025",
        issuer="ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN", preset="plan-108", periods="2025-2030",
        publish=True)
    return f"Plan 108 framework: loaded as framework {framework.id}, published"


def _province_id() -> int | None:
    return db.session.scalar(select(Unit.id).where(Unit.code == PROVINCE))
