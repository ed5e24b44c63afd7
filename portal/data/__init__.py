"""The official data the platform ships with (see README.md beside this file).

Files, never computed at import: callers read the bytes when they need them.
"""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent

LEGACY_UNITS = DATA_DIR / "admin-units-vn-legacy-2025-01.csv"   # 63 / 696 / 10,051
UNITS_2025 = DATA_DIR / "admin-units-vn-2025-07.csv"             # 34 / 3,321
REORG_2025_HUNG_YEN = DATA_DIR / "reorg-2025-07-hung-yen.csv"    # 381 old -> 104 new
PLAN_108 = DATA_DIR / "KH-108-UBND-2025.txt"                     # Plan 108/KH-UBND, text
PLAN_1703 = DATA_DIR / "QD-1703-TTg-2024.txt"                   # national plan, reconstructed
