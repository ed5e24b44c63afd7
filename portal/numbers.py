"""Numbers as people type them: "1.234.567", "1,234,567", "1.234,5", "12,5 %".

Vietnamese writes "1.234,5"; English "1,234.5"; both arrive. A number is never
silently misread: when one separator could be either (``1.234`` in a field that
allows decimals), it is refused with an explanation.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from portal.problems import DomainError


class NumberError(DomainError):
    """Not a number, or an ambiguous one; the message is in the user's language."""


_GROUPED = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")


def parse_number(text: str, *, integer: bool = False, allow_negative: bool = False) -> Decimal:
    """Read ``text`` as a number, or raise ``NumberError`` saying what is wrong."""
    raw = (text or "").strip().replace("\u00a0", " ").replace(" ", "")
    if not raw:
        raise NumberError(_("Enter a number."))
    sign = ""
    if raw[0] in "+-":
        sign, raw = raw[0], raw[1:]
    if raw.endswith("%"):
        raise NumberError(_("Enter the number without a percent sign."))
    if not re.fullmatch(r"[\d.,]+", raw) or not raw[0].isdigit() or not raw[-1].isdigit():
        raise NumberError(_("“%(text)s” is not a number.", text=text.strip()[:40]))
    dots, commas = raw.count("."), raw.count(",")
    if dots and commas:
        decimal_mark = "." if raw.rfind(".") > raw.rfind(",") else ","
        thousands = "," if decimal_mark == "." else "."
        whole, _sep, fraction = raw.rpartition(decimal_mark)
        if decimal_mark in whole or not _GROUPED.match(whole):
            raise NumberError(_("“%(text)s” mixes separators in a way that cannot be read.",
                                text=text.strip()[:40]))
        normal = whole.replace(thousands, "") + "." + fraction
    elif dots + commas > 1 or (dots + commas == 1 and integer):
        if dots + commas == 1 and not _GROUPED.match(raw):
            raise NumberError(_("Enter a whole number."))  # "1,5" where a count is asked
        if not _GROUPED.match(raw):
            raise NumberError(_("“%(text)s”: thousands are grouped by three digits, as in "
                                "1.234.567 or 1,234,567.", text=text.strip()[:40]))
        normal = raw.replace(".", "").replace(",", "")
    elif dots + commas == 1:
        whole, fraction = re.split(r"[.,]", raw)
        if len(fraction) == 3:
            raise NumberError(_(
                "“%(text)s” is ambiguous: it could be %(thousands)s or %(decimal)s. Write "
                "it without the separator, or with a decimal part of one, two or four "
                "digits.", text=text.strip()[:40], thousands=whole + fraction,
                decimal=whole + "," + fraction))
        normal = whole + "." + fraction
    else:
        normal = raw
    try:
        value = Decimal(sign + normal)
    except InvalidOperation:  # pragma: no cover - the patterns above admit only digits
        raise NumberError(_("“%(text)s” is not a number.", text=text.strip()[:40])) from None
    if integer and value != value.to_integral_value():
        raise NumberError(_("Enter a whole number."))
    if value < 0 and not allow_negative:
        raise NumberError(_("The number cannot be negative."))
    return value
