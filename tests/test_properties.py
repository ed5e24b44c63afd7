"""Property tests (Hypothesis) on everything that reads what people type or upload:
numbers, dates, CSV and Excel tables, unit lists, reorganization mappings and plan
documents. Each reader either gives the right value or refuses with its own error —
never another exception, never a silently different number or date."""

from __future__ import annotations

import csv
import io
import os
import random
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from openpyxl import Workbook

from portal.data import PLAN_108
from portal.dates import DateError, parse_date
from portal.frameworks.parser import DocumentError, ParseResult, parse_file, parse_text
from portal.numbers import NumberError, parse_number
from portal.reorganization import ReorganizationError, read_mapping
from portal.spreadsheets import TableError, read_table
from tenants.tree import TreeError, read_unit_csv

PLAN = PLAN_108
# Derandomized: every run (CI's too) tries the same examples, so the suite is never red by
# chance; a bug found is pinned below as an @example. PROPERTY_EXPLORE=1 draws new random
# examples (and keeps any failing one in .hypothesis/ to replay) when hunting for bugs.
EXPLORE = os.environ.get("PROPERTY_EXPLORE") == "1"
FAST = settings(max_examples=300, deadline=None, derandomize=not EXPLORE,
                database=DirectoryBasedExampleDatabase(".hypothesis/examples") if EXPLORE else None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOW = settings(FAST, max_examples=60,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

# Text as it arrives: Vietnamese letters (composed and not), digits, separators, spaces,
# quotes, control characters and the rest of Unicode.
VIETNAMESE = "ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
typed = st.text(alphabet=st.sampled_from("0123456789.,-+% \u00a0/" + VIETNAMESE + "aZ"),
                max_size=24) | st.text(max_size=24)


@pytest.fixture(autouse=True)
def _request(app: Flask):
    """Messages are translated: the readers need a request (Vietnamese, the default)."""
    with app.test_request_context():
        yield


def group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    return separator.join(parts)


# ---- numbers ------------------------------------------------------------------------------

@FAST
@given(n=st.integers(min_value=0, max_value=10**15 - 1), separator=st.sampled_from(".,"))
def test_whole_numbers_read_back_in_either_convention(n: int, separator: str) -> None:
    assert parse_number(str(n), integer=True) == n
    assert parse_number(group(str(n), separator), integer=True) == n


@FAST
@given(whole=st.integers(min_value=0, max_value=10**11 - 1),   # 15 digits in all at most
       fraction=st.sampled_from(["5", "25", "2500", "05", "0001"]),
       vietnamese=st.booleans())
def test_decimals_read_back_in_either_convention(whole: int, fraction: str,
                                                 vietnamese: bool) -> None:
    thousands, mark = (".", ",") if vietnamese else (",", ".")
    text = group(str(whole), thousands) + mark + fraction
    if whole >= 1000:   # grouped whole part: both separators present, unambiguous
        assert parse_number(text) == Decimal(f"{whole}.{fraction}")
    else:
        assert parse_number(str(whole) + mark + fraction) == Decimal(f"{whole}.{fraction}")


@FAST
@given(whole=st.integers(min_value=1, max_value=999), fraction=st.integers(0, 999),
       mark=st.sampled_from(".,"))
def test_one_separator_before_three_digits_is_never_guessed(whole: int, fraction: int,
                                                            mark: str) -> None:
    """"1.234" is 1234 to one reader and 1,234 to another: refused, not guessed."""
    with pytest.raises(NumberError):
        parse_number(f"{whole}{mark}{fraction:03d}")


@FAST
@given(text=typed, integer=st.booleans(), negative=st.booleans())
def test_any_text_is_a_number_or_a_clear_refusal(text: str, integer: bool,
                                                 negative: bool) -> None:
    try:
        value = parse_number(text, integer=integer, allow_negative=negative)
    except NumberError as error:
        assert str(error)                      # a message to show, never an empty one
        return
    assert isinstance(value, Decimal) and value.is_finite()
    assert negative or value >= 0
    assert not integer or value == value.to_integral_value()
    digits = "".join(c for c in text if c.isdigit())
    assert digits.lstrip("0") == "" or digits.lstrip("0")[0] in str(abs(value))


# ---- dates --------------------------------------------------------------------------------

@FAST
@given(day=st.dates(min_value=date(1945, 9, 2), max_value=date(2100, 12, 31)))
def test_dates_read_back_day_first(day: date) -> None:
    assert parse_date(day.strftime("%d/%m/%Y")) == day
    assert parse_date(day.strftime("%d-%m-%Y")) == day
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"  {day.strftime('%d/%m/%Y')} ") == day


@FAST
@given(day=st.dates(min_value=date(2000, 1, 13), max_value=date(2100, 12, 31)))
def test_a_month_first_date_is_never_read_as_another_date(day: date) -> None:
    assume(day.day > 12)
    with pytest.raises(DateError):             # 12/25/2026 is no date here, not 12 January
        parse_date(day.strftime("%m/%d/%Y"))


@FAST
@given(text=typed)
def test_any_text_is_a_date_nothing_or_a_clear_refusal(text: str) -> None:
    try:
        value = parse_date(text)
    except DateError as error:
        assert str(error)
        return
    assert (value is None and not text.strip()) or isinstance(value, date)


# ---- tables: CSV and Excel ----------------------------------------------------------------

cell = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
ALIASES = {"mã": "code", "tên": "name", "ghi chú": "note"}


@SLOW
@given(rows=st.lists(st.tuples(cell, cell, cell), min_size=1, max_size=12),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
       delimiter=st.sampled_from([",", ";", "\t"]))
# found at random (issue 14 item 13): csv.Sniffer guessed doublequote=False and the cell
# "0, came back as "0
@example(rows=[('"0,', "", "")], encoding="utf-8", delimiter=",")
def test_a_csv_table_reads_back_what_was_written(rows: list, encoding: str,
                                                delimiter: str) -> None:
    from tenants.text import nfc

    assume(any(any(c.strip() for c in row) for row in rows))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL)
    writer.writerow(["Mã", "Tên", "Ghi chú"])
    writer.writerows(rows)
    table = read_table("x.csv", buffer.getvalue().encode(encoding), ALIASES)
    assert table.header == ["code", "name", "note"]
    expected = [tuple(nfc(c).strip() for c in row) for row in rows]
    expected = [row for row in expected if any(row)]
    assert [(r["code"], r["name"], r["note"]) for _, r in table.rows] == expected


def test_a_quote_then_a_comma_in_a_cell_reads_back() -> None:
    """The regression of issue 14 item 13: on this file csv.Sniffer guesses
    doublequote=False; quotes inside a quoted cell are doubled all the same."""
    data = '"Mã","Tên","Ghi chú"\r\n"""0,","",""\r\n'.encode()
    assert csv.Sniffer().sniff(data.decode()).doublequote is False    # the guess is wrong
    table = read_table("x.csv", data, ALIASES)
    assert [row for _, row in table.rows] == [{"code": '"0,', "name": "", "note": ""}]


@SLOW
@given(rows=st.lists(st.tuples(cell, st.integers(-10**9, 10**9) | cell), min_size=1,
                     max_size=8))
def test_an_excel_table_reads_back_what_was_written(rows: list) -> None:
    from tenants.text import nfc

    book = Workbook()
    sheet = book.active
    sheet.append(["Mã", "Tên"])
    clean = [(c, v) for c, v in rows if not (isinstance(v, str) and v.startswith("="))
             and not c.startswith("=")]
    for row in clean:
        sheet.append(list(row))
    data = io.BytesIO()
    book.save(data)
    expected = [(nfc(str(c)).strip(), nfc(str(v)).strip()) for c, v in clean]
    expected = [row for row in expected if any(row)]
    try:
        table = read_table("x.xlsx", data.getvalue(), ALIASES)
    except TableError:
        assert not expected                    # only a table with no rows is refused
        return
    assert [(r["code"], r["name"]) for _, r in table.rows] == expected


@FAST
@given(data=st.binary(max_size=2000), name=st.sampled_from(["a.csv", "a.xlsx", "a.txt"]))
def test_any_bytes_are_a_table_or_a_clear_refusal(data: bytes, name: str) -> None:
    try:
        read_table(name, data, ALIASES)
    except TableError as error:
        assert str(error)


@FAST
@given(data=st.binary(max_size=2000) | st.text(max_size=800).map(str.encode))
def test_any_bytes_are_a_unit_list_or_a_clear_refusal(data: bytes) -> None:
    try:
        read_unit_csv(data)
    except TreeError as error:
        assert error.args


@FAST
@given(data=st.binary(max_size=1500) | st.text(max_size=600).map(str.encode))
@example(data=b"\xff\xfe\x00")  # a UTF-16 byte-order mark, then an odd byte: was a 500
def test_any_bytes_are_a_reorganization_mapping_or_a_clear_refusal(data: bytes) -> None:
    try:
        read_mapping("mapping.csv", data)
    except (ReorganizationError, TableError) as error:
        assert error.args


# ---- plan documents -----------------------------------------------------------------------

@SLOW
@given(text=st.text(max_size=3000))
def test_any_text_parses_to_a_plan_or_is_refused_clearly(text: str) -> None:
    try:
        assert isinstance(parse_text(text), ParseResult)
    except DocumentError as error:
        assert error.code in ("empty", "not-a-plan") and str(error)


@SLOW
@given(data=st.binary(max_size=3000), name=st.sampled_from(["kh.txt", "kh.docx", "kh.pdf"]))
def test_any_upload_parses_or_is_refused_clearly(data: bytes, name: str) -> None:
    try:
        assert isinstance(parse_file(name, data), ParseResult)
    except DocumentError as error:
        assert error.code and str(error)


@SLOW
@given(seed=st.integers(0, 2**32 - 1), cuts=st.integers(1, 40))
def test_the_real_plan_with_lines_lost_or_shuffled_still_parses(seed: int, cuts: int) -> None:
    """A copy of Plan 108 mangled as copy-and-paste mangles it: lines dropped, doubled,
    swapped. The parser still returns an outline (and warnings), never an exception."""
    lines = PLAN.read_text(encoding="utf-8").splitlines()
    rng = random.Random(seed)  # noqa: S311 - a reproducible mangling, not a secret
    for _ in range(cuts):
        i = rng.randrange(len(lines))
        action = rng.choice(("drop", "double", "swap", "join"))
        if action == "drop":
            del lines[i]
        elif action == "double":
            lines.insert(i, lines[i])
        elif action == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif action == "join" and i + 1 < len(lines):
            lines[i:i + 2] = [lines[i] + " " + lines[i + 1]]
    result = parse_file("kh.txt", "\n".join(lines).encode())
    assert isinstance(result, ParseResult)
