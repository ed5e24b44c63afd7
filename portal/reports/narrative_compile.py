"""The consolidated narrative, compiled by theme from what the units wrote.

A consolidation keeps every unit's results, difficulties and proposals as they wrote
them (the snapshot). The report does not print them one unit after another: each
section is compiled by theme, and each paragraph ends with the units it came from.

The rule, hand-checkable:

1. Each unit's text is cut into paragraphs (one per line; a leading "-", "+", "•",
   "1." or "a)" is dropped). Empty paragraphs are skipped.
2. A paragraph belongs to the theme whose keywords it names most often (``THEMES``:
   data, Plan 108's fields of work); a tie goes to the theme listed first; a paragraph
   naming none goes to "Nội dung khác".
3. Within a theme, paragraphs that are the same once case, spaces and the final
   punctuation are ignored — or nearly the same (``SIMILAR`` of difflib's ratio, and
   the same numbers: "2 lớp" and "3 lớp" are never one) — are one paragraph, the first
   unit's wording, citing every unit that wrote it.
4. Each paragraph ends "(UBND xã A, UBND xã B, Sở Công Thương)." — a people's committee
   is cited as "UBND" and its name in running text, any other unit by its name.
5. Themes are listed in the order of ``THEMES``, paragraphs in the order their first
   unit comes in the snapshot (the tree's order).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

# Plan 108's fields of work, with the words a paragraph about one of them uses.
THEMES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("dissemination", "Tuyên truyền, phổ biến",
     ("tuyên truyền", "phổ biến", "quán triệt", "truyền thông", "hội nghị", "diễn đàn")),
    ("standards", "Tiêu chuẩn, quy chuẩn kỹ thuật",
     ("tiêu chuẩn", "quy chuẩn", "tcvn", "iso", "hệ thống quản lý")),
    ("metrology", "Đo lường",
     ("đo lường", "phương tiện đo", "kiểm định", "hiệu chuẩn", "thử nghiệm")),
    ("quality", "Chất lượng sản phẩm, hàng hóa",
     ("chất lượng", "sản phẩm", "hàng hóa", "ocop", "truy xuất", "mã số", "nhãn")),
    ("training", "Đào tạo, tập huấn",
     ("đào tạo", "tập huấn", "bồi dưỡng", "lớp")),
    ("inspection", "Thanh tra, kiểm tra",
     ("thanh tra", "kiểm tra", "vi phạm", "hàng giả", "gian lận", "cảnh báo")),
    ("resources", "Kinh phí, nhân lực, trang thiết bị",
     ("kinh phí", "ngân sách", "nhân lực", "biên chế", "cán bộ", "trang thiết bị",
      "đầu tư")),
)
OTHER = ("other", "Nội dung khác")
SIMILAR = 0.9           # difflib ratio at and above which two paragraphs are one
NEAR_LIMIT = 400        # above this many paragraphs in a theme, only exact repeats merge
COMMITTEE_WORDS = ("Thành phố", "Thị xã", "Thị trấn", "Tỉnh", "Huyện", "Quận", "Xã",
                   "Phường")
_NUMBER = re.compile(r"\d+")
_BULLET = re.compile(r"^\s*(?:[-+•*–]|\d+[.)]|[a-zđ]\))\s*", re.IGNORECASE)
_PATTERNS = {key: [(word, re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")) for word in words]
             for key, _title, words in THEMES}


def running_name(name: str) -> str:
    """A unit's name inside a sentence: "Tỉnh Hưng Yên" -> "tỉnh Hưng Yên" (the level
    is a common noun; only the proper name keeps its capitals)."""
    for word in COMMITTEE_WORDS:
        if name.startswith(word + " "):
            return word.lower() + name[len(word):]
    return name


def is_committee(name: str) -> bool:
    """A people's committee's unit is named by its level and place ("Xã Lạc Đạo")."""
    return any(name.startswith(word + " ") for word in COMMITTEE_WORDS)


def cited(name: str) -> str:
    """How a paragraph cites its unit: "UBND xã Lạc Đạo", "Sở Công Thương"."""
    return f"UBND {running_name(name)}" if is_committee(name) else name


@dataclass
class Paragraph:
    text: str
    units: list[str] = field(default_factory=list)     # cited names, first writer first

    def line(self) -> str:
        """The paragraph with its sources: "… (UBND xã A, Sở Công Thương)."."""
        body = self.text.rstrip(" .;,")
        return f"{body} ({', '.join(self.units)})." if self.units else f"{body}."


@dataclass
class Theme:
    key: str
    title: str
    paragraphs: list[Paragraph] = field(default_factory=list)


def _key(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip(" .;,")


def theme_of(text: str) -> str:
    """The theme a paragraph speaks of (rule 2)."""
    lowered = text.casefold()
    # a word's pattern runs only where the word occurs at all (a substring test, in C):
    # most of the 40 words are absent from a paragraph, and a national consolidation
    # sorts 50,000 paragraphs (22 s with every pattern run on every one, 2026-12-03)
    hits = {key: sum(len(p.findall(lowered)) for word, p in patterns if word in lowered)
            for key, patterns in _PATTERNS.items()}
    best = max(hits.values(), default=0)
    return next(key for key in hits if hits[key] == best) if best else OTHER[0]


def paragraphs_of(text: str) -> list[str]:
    """A unit's text cut into paragraphs (rule 1)."""
    return [cleaned for line in unicodedata.normalize("NFC", text).splitlines()
            if (cleaned := _BULLET.sub("", line).strip())]


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in _NUMBER.findall(text))


def _similar(one: str, two: str) -> bool:
    """Nearly the same paragraph (the cheap upper bounds first: most pairs stop there)."""
    matcher = SequenceMatcher(None, one, two)
    return matcher.real_quick_ratio() >= SIMILAR and matcher.quick_ratio() >= SIMILAR \
        and matcher.ratio() >= SIMILAR


@dataclass
class _Merger:
    """A theme's paragraphs, found again by their key (the same text) or among those
    with the same numbers (a nearly identical one: "2 lớp" and "02 lớp" may be one,
    "2 lớp" and "3 lớp" never)."""

    theme: Theme
    by_key: dict[str, Paragraph] = field(default_factory=dict)
    by_numbers: dict[tuple[int, ...], list[tuple[str, Paragraph]]] = field(
        default_factory=dict)
    # each paragraph's units as a set too: a list's ``in`` made a paragraph that a
    # thousand units wrote cost a thousand comparisons per unit
    cited_by: dict[int, set[str]] = field(default_factory=dict)

    def add(self, text: str, unit: str) -> None:
        """Add a unit's paragraph, as one more source of one that says the same (rule 3)."""
        key = _key(text)
        found = self.by_key.get(key)
        if found is None and len(self.theme.paragraphs) <= NEAR_LIMIT:
            found = next((p for other, p in self.by_numbers.get(_numbers(key), [])
                          if _similar(other, key)), None)
        if found is None:
            found = Paragraph(text=text)
            self.theme.paragraphs.append(found)
            self.by_numbers.setdefault(_numbers(key), []).append((key, found))
        self.by_key.setdefault(key, found)
        units = self.cited_by.setdefault(id(found), set())
        if unit not in units:
            units.add(unit)
            found.units.append(unit)


def compile_section(passages: list[dict]) -> list[Theme]:
    """One section's passages (``{"name": unit name, "text": …}``, in the tree's order)
    compiled by theme: only themes that have a paragraph, in ``THEMES`` order."""
    mergers = {key: _Merger(Theme(key, title))
               for key, title in (*((k, t) for k, t, _words in THEMES), OTHER)}
    for passage in passages:
        for text in paragraphs_of(passage.get("text") or ""):
            mergers[theme_of(text)].add(text, cited(passage.get("name") or ""))
    return [m.theme for m in mergers.values() if m.theme.paragraphs]


def compiled_text(passages: list[dict]) -> str:
    """The section as the consolidator edits it and the report prints it: a heading line
    per theme ("a) Đo lường"), then its paragraphs, a blank line between themes."""
    blocks = []
    for letter, theme in zip("abcdeghiklmn", compile_section(passages), strict=False):
        blocks.append("\n".join([f"{letter}) {theme.title}",
                                 *(p.line() for p in theme.paragraphs)]))
    return "\n\n".join(blocks)


HEADING = re.compile(r"^[a-zđ]\) \S")


def is_heading(line: str) -> bool:
    """A theme's heading line of a compiled (or edited) section: "a) Đo lường"."""
    return bool(HEADING.match(line)) and len(line) <= 80 and not line.endswith(".")
