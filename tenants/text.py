"""Vietnamese text: NFC storage and accent-insensitive search keys."""

from __future__ import annotations

import unicodedata


def nfc(text: str) -> str:
    """Composed form, whitespace collapsed: what is stored."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def search_key(text: str) -> str:
    """Lower case without diacritics, so "ân thi", "An Thi" and "ÂN THI" all match."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
