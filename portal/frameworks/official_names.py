"""Place names and issuing bodies put back with their diacritics from the official unit
lists the platform ships (``portal.data``): OCR reads "Hung Yén" and "UBND TINH HUNG YEN";
the lists say "Hưng Yên". Only a name that matches one official spelling once the marks
are set aside is restored; the caller reports each restoration."""

from __future__ import annotations

import csv
import functools
import re

from portal.data import LEGACY_UNITS, UNITS_2025
from tenants.text import search_key

_TYPES = ("thành phố trung ương", "thành phố", "thị xã", "thị trấn", "đặc khu", "tỉnh",
          "huyện", "quận", "xã", "phường")
# The words of an issuing body's name around a unit name, as they are written.
BODY_WORDS = {"ubnd": "UBND", "uy ban nhan dan": "ỦY BAN NHÂN DÂN", "hdnd": "HĐND",
              "hoi dong nhan dan": "HỘI ĐỒNG NHÂN DÂN", "tinh": "TỈNH", "huyen": "HUYỆN",
              "thanh pho": "THÀNH PHỐ", "thi xa": "THỊ XÃ", "xa": "XÃ", "phuong": "PHƯỜNG",
              "quan": "QUẬN"}


@functools.lru_cache(maxsize=1)
def official_names() -> dict[str, str]:
    """search key -> the one official spelling of a province, district or commune name."""
    spellings: dict[str, set[str]] = {}
    for path in (UNITS_2025, LEGACY_UNITS):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                name = row["name"].strip()
                kind = row["type"].strip().lower()
                if kind in _TYPES and name.lower().startswith(kind + " "):
                    name = name[len(kind) + 1:]
                spellings.setdefault(search_key(name), set()).add(name)
    return {key: names.pop() for key, names in spellings.items() if len(names) == 1}


def restore_place(place: str) -> str | None:
    """The official spelling of ``place`` if it differs from it only in diacritics."""
    official = official_names().get(search_key(place))
    return official if official and official != place else None


# "Y BAN NHÂN DÂN": web copies lose the "Ủ" of a font without it
_BODY = re.compile(r"^(?P<body>ubnd|u?y ban nhan dan|hdnd|hoi dong nhan dan)\s+"
                   r"(?P<level>tinh|huyen|thanh pho|thi xa|xa|phuong|quan)\s+(?P<name>.+)$")


def restore_body(name: str) -> str | None:
    """"UBND TINH HUNG YEN" -> "UBND TỈNH HƯNG YÊN", if the unit name is official."""
    found = _BODY.match(search_key(name).strip())
    if not found:
        return None
    official = official_names().get(found["name"])
    if not official:
        return None
    body = "uy ban nhan dan" if found["body"] == "y ban nhan dan" else found["body"]
    restored = f"{BODY_WORDS[body]} {BODY_WORDS[found['level']]} {official.upper()}"
    if not name.isupper() and not _mostly_upper(name):
        return None
    return restored if restored != " ".join(name.split()) else None


def _mostly_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) / len(letters) >= 0.8
