from decimal import Decimal

import pytest

from portal.numbers import NumberError, parse_number


@pytest.mark.parametrize(("text", "integer", "expected"), [
    ("1234567", True, "1234567"),
    ("1.234.567", True, "1234567"),
    ("1,234,567", True, "1234567"),
    ("1.234", True, "1234"),          # a whole number: the separator can only group
    ("1.234,5", False, "1234.5"),
    ("1,234.5", False, "1234.5"),
    ("12,5", False, "12.5"),
    ("12.25", False, "12.25"),
    (" 30 ", True, "30"),
    ("1 234 567", True, "1234567"),
])
def test_reads_both_conventions(text: str, integer: bool, expected: str) -> None:
    assert parse_number(text, integer=integer) == Decimal(expected)


@pytest.mark.parametrize(("text", "integer", "fragment"), [
    ("1.234", False, "mơ hồ"),
    ("1,234", False, "mơ hồ"),
    ("12a", True, "không phải là số"),
    ("", True, "Nhập một số"),
    ("1,5", True, "số nguyên"),
    ("-3", True, "không được âm"),
    ("12%", False, "phần trăm"),
    ("1.23.4", True, "ba chữ số"),
    ("1,234.567,8", False, "không đọc được"),
])
def test_refuses_what_it_cannot_read_for_sure(app, text: str, integer: bool,
                                              fragment: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NumberError) as caught:
        parse_number(text, integer=integer)
    assert fragment in str(caught.value)
