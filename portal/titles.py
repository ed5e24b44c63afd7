"""Document titles that say their kind once.

A Vietnamese administrative document names its kind on a line of its own ("KẾ HOẠCH") and
its subject under it ("Triển khai thực hiện …"); a title typed as people say it, "Kế hoạch
triển khai …", would read "KẾ HOẠCH / Kế hoạch triển khai …", and a framework named "Kế
hoạch 108/KH-UBND" after "Kế hoạch số" would read "Kế hoạch số Kế hoạch 108/KH-UBND".
Wherever a kind word is put before a subject, the subject goes through ``subject_after``.
"""

from __future__ import annotations

import re

from tenants.text import search_key

PLAN = "Kế hoạch"
_NUMBER_WORD = re.compile(r"^s[ốo]\s+(?=\d)", re.IGNORECASE)
_JOINERS = re.compile(r"^[\s:\-–—,.]+")


def subject_after(subject: str, *kinds: str) -> str:
    """``subject`` without a leading kind word (any case, with or without diacritics, and
    the "số" or colon after it), its first letter upper case; unchanged if it has none."""
    text = (subject or "").strip()
    for kind in kinds or (PLAN,):
        cut = _kind_prefix(text, kind)
        if cut:
            rest = _NUMBER_WORD.sub("", _JOINERS.sub("", text[cut:]))
            return rest[:1].upper() + rest[1:]
    return text


def _kind_prefix(text: str, kind: str) -> int:
    """The length of ``kind`` at the start of ``text`` as a whole word; 0 if not there."""
    wanted = search_key(kind)
    for end in range(len(kind), min(len(text), len(kind) + 4) + 1):
        if search_key(text[:end]) == wanted and (end == len(text) or not text[end].isalnum()):
            return end
    return 0
