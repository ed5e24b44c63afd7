"""Numbers as people type them: "1.234.567", "1,234,567", "1.234,5", "12,5 %".

Vietnamese writes "1.234,5"; English "1,234.5"; both arrive. A number is never
silently misread (docs/reports.md § How numbers are read):

- one separator before exactly three digits ("1.234", "1,234") is the one
  ambiguous form (unless only zeros stand before it: "0,001" is a decimal). In a
  field that allows decimals it is refused with an explanation; in a whole-number
  field only the thousands reading is possible, so it is read as 1234 and the
  reading is shown back ("read as 1.234");
- a value the stored columns (``Numeric(20, 4)``) cannot keep exactly is refused:
  more than ``MAX_DIGITS`` digits in all, or more than ``MAX_PLACES`` after the
  decimal mark;
- a value above the maximum the framework owner set for the indicator is refused
  (``check_maximum``), naming the maximum.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import format_decimal
from flask_babel import gettext as _

from portal.problems import DomainError


class NumberError(DomainError):
    """Not a number, an ambiguous one, or one that cannot be kept; the message is in the
    user's language."""


# The figures are kept in Numeric(20, 4) columns: four places after the decimal mark.
# PostgreSQL keeps 16 digits before it, but SQLite (local use) keeps a NUMERIC as a
# double, exact to 15 significant digits; 15 digits in all is exact on both.
MAX_DIGITS = 15
MAX_PLACES = 4

_GROUPED = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")
_ONE_GROUP = re.compile(r"^\d{1,3}[.,]\d{3}$")


@dataclass(frozen=True)
class Reading:
    """A number read from text; ``guessed`` when the text alone allowed two readings
    and the field's kind chose one (the page says how it was read)."""

    value: Decimal
    guessed: bool = False

    @property
    def shown(self) -> str:
        return shown(self.value)


def shown(value: Decimal) -> str:
    """``value`` in the reader's convention, as the ``number`` filter shows it:
    "1.234.567" and "12,5" in Vietnamese, "1,234,567" and "12.5" in English."""
    return format_decimal(value, format="#,##0.####")


def digits_of(value: Decimal) -> tuple[int, int]:
    """(digits in all, digits after the decimal mark) of ``value``, without the zeros
    before its first digit or after its last decimal: 1234,50 → (5, 1); 0,05 → (2, 2)."""
    if value == 0:
        return 0, 0
    exact = value.normalize()
    digits = exact.as_tuple().digits
    exponent = int(exact.as_tuple().exponent)   # finite: parse_number reads only digits
    places = max(0, -exponent)
    whole = len(digits) + exponent if exponent > 0 else max(0, len(digits) - places)
    return whole + places, places


def check_fits(value: Decimal, text: str = "") -> None:
    """Refuse a value the figure columns cannot keep exactly (never round or overflow)."""
    every, places = digits_of(value)
    label = (text or shown(value)).strip()[:40]
    if places > MAX_PLACES:
        raise NumberError(_("“%(text)s” has more than %(n)d digits after the decimal mark; "
                            "round it to %(n)d.", text=label, n=MAX_PLACES))
    if every > MAX_DIGITS:
        raise NumberError(_("“%(text)s” is too long to be kept exactly: at most %(n)d "
                            "digits, that is up to %(largest)s.", text=label, n=MAX_DIGITS,
                            largest=shown(Decimal(10 ** MAX_DIGITS - 1))))


def as_fraction(percent: Decimal, text: str = "") -> Decimal:
    """A percentage as the fraction kept (1 = 100 %), refused when the columns would round
    it: a percentage keeps ``MAX_PLACES - 2`` digits after the decimal mark."""
    if digits_of(percent)[1] > MAX_PLACES - 2:
        raise NumberError(_("“%(text)s”: a percentage has at most %(n)d digits after the "
                            "decimal mark.", text=(text or shown(percent)).strip()[:40],
                            n=MAX_PLACES - 2))
    return percent / 100


def check_maximum(value: Decimal | None, maximum: Decimal | None) -> None:
    """Refuse a value above the plausible maximum set for its indicator."""
    if value is not None and maximum is not None and value > maximum:
        raise NumberError(_("%(value)s is more than the plausible maximum of %(maximum)s set "
                            "for this indicator; check the figure (the plan's owner can "
                            "raise the maximum).", value=shown(value), maximum=shown(maximum)))


def parse_number(text: str, *, integer: bool = False, allow_negative: bool = False) -> Decimal:
    """Read ``text`` as a number, or raise ``NumberError`` saying what is wrong."""
    return read_number(text, integer=integer, allow_negative=allow_negative).value


def read_number(text: str, *, integer: bool = False, allow_negative: bool = False) -> Reading:
    """Read ``text`` as a number and say whether the reading was chosen by the field's
    kind (see the module's rule), or raise ``NumberError`` saying what is wrong."""
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
    guessed = False
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
        # "1.234" / "1,234" in a whole-number field: the decimal reading (1,234) is not
        # a whole number, so it is 1234 — said back to the person, not assumed silently.
        guessed = bool(_ONE_GROUP.match(raw))
        normal = raw.replace(".", "").replace(",", "")
    elif dots + commas == 1:
        whole, fraction = re.split(r"[.,]", raw)
        # "0,001": no one groups thousands after a leading zero, so it is a decimal
        if len(fraction) == 3 and whole.strip("0"):
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
    check_fits(value, text)
    if value == 0:
        value = Decimal(0)   # "-0" and "0,000" are 0
    return Reading(value, guessed)
