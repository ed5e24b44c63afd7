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
                                              fragment: str) -> None:
    with pytest.raises(NumberError) as caught:
        parse_number(text, integer=integer)
    assert fragment in str(caught.value)


# ---- issue 16 item 5: never silently misread a number ---------------------------------------
# The rule is docs/reports.md § How numbers are read. Each test below failed before it:
# "99999999999999999999" was kept (as 1e20 on SQLite: shown 100.000.000.000.000.000.000;
# an overflow on PostgreSQL), "1,234" in a count became 1234 without a word, and an
# indicator had no maximum.

from flask import Flask  # noqa: E402
from sqlalchemy import select  # noqa: E402

from portal.extensions import db  # noqa: E402
from portal.frameworks.indicator import Indicator  # noqa: E402
from portal.numbers import MAX_DIGITS, MAX_PLACES, read_number  # noqa: E402
from portal.reports.report import ReportValue, UnitReport  # noqa: E402
from portal.reports.service import ReportError, save_value, value_fields  # noqa: E402
from tenants.scoping import system_scope  # noqa: E402
from tests.builders import framework, make_framework  # noqa: E402
from tests.conftest import csrf_token  # noqa: E402

TWENTY = "99999999999999999999"


def test_the_limits_are_those_of_the_figure_columns() -> None:
    """15 digits (what SQLite's double keeps exactly; PostgreSQL's numeric(20, 4) keeps
    more), 4 after the decimal mark (the columns' scale)."""
    column = ReportValue.__table__.c.value.type
    assert (column.precision, column.scale) == (20, 4)
    assert column.scale == MAX_PLACES and column.precision - column.scale >= MAX_DIGITS
    assert MAX_DIGITS == 15


@pytest.mark.parametrize(("text", "integer", "fragment"), [
    (TWENTY, True, "quá dài để lưu chính xác: tối đa 15 chữ số, tức là không quá "
                   "999.999.999.999.999"),
    ("99.999.999.999.999.999.999", True, "quá dài"),
    ("9999999999999999", True, "quá dài"),          # 16 digits: a double rounds it
    ("1000000000000000", True, "quá dài"),
    ("12.345.678.901.234,56", False, "quá dài"),    # 14 + 2 digits
    ("99999999999999999999,5", False, "quá dài"),
    ("1,23456", False, "hơn 4 chữ số sau dấu thập phân"),
    ("0.00001", False, "hơn 4 chữ số sau dấu thập phân"),
])
def test_a_value_the_columns_cannot_keep_exactly_is_refused(app, text: str, integer: bool,
                                                            fragment: str) -> None:
    with pytest.raises(NumberError) as caught:
        parse_number(text, integer=integer)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(("text", "integer", "expected"), [
    ("999999999999999", True, "999999999999999"),
    ("999.999.999.999.999", True, "999999999999999"),
    ("12.345.678.901,2345", False, "12345678901.2345"),   # Vietnamese, 15 digits
    ("12,345,678,901.2345", False, "12345678901.2345"),   # English
    ("1,50000", False, "1.5"),                              # trailing zeros are not digits
])
def test_up_to_fifteen_digits_are_kept(app, text: str, integer: bool, expected: str) -> None:
    assert parse_number(text, integer=integer) == Decimal(expected)


@pytest.mark.parametrize(("text", "integer", "value", "guessed"), [
    ("1,234", True, "1234", True),       # Vietnamese reads 1 point 234: not a count
    ("1.234", True, "1234", True),
    ("123,456", True, "123456", True),
    ("1.234.567", True, "1234567", False),   # a decimal mark never repeats
    ("1,234,567", True, "1234567", False),
    ("1234", True, "1234", False),
    ("1.234,5", False, "1234.5", False),     # both separators: the last is the decimal mark
    ("1,234.5", False, "1234.5", False),
    ("12,5", False, "12.5", False),
    ("0,001", False, "0.001", False),        # a factor: no thousands after a lone zero
    ("0.125", False, "0.125", False),
])
def test_which_readings_the_field_chose(app, text: str, integer: bool, value: str,
                                        guessed: bool) -> None:
    reading = read_number(text, integer=integer)
    assert (reading.value, reading.guessed) == (Decimal(value), guessed)


@pytest.mark.parametrize("text", ["1.234", "10,001", "100.000"])
def test_one_separator_before_three_digits_stays_ambiguous_after_a_digit(app, text: str
                                                                       ) -> None:
    with pytest.raises(NumberError) as caught:
        parse_number(text)
    assert "mơ hồ" in str(caught.value)


@pytest.mark.parametrize("text", ["1.234,5", "1,234.5"])
def test_a_decimal_in_a_whole_number_field_is_refused_in_both_forms(app, text: str) -> None:
    with pytest.raises(NumberError) as caught:
        parse_number(text, integer=True)
    assert str(caught.value) == "Nhập số nguyên."


def _report(report_id: int) -> tuple[UnitReport, dict[str, ReportValue]]:
    report = db.session.scalar(select(UnitReport).where(UnitReport.id == report_id))
    codes = dict(db.session.execute(select(Indicator.id, Indicator.code)).tuples().all())
    return report, {codes[v.indicator_id]: v for v in report.values}


def _set_maximum(report_id: int, code: str, maximum: str) -> None:
    """What the framework owner sets on the indicator (page tested below)."""
    with system_scope("test"):
        report = db.session.scalar(select(UnitReport).where(UnitReport.id == report_id))
        db.session.scalar(select(Indicator).where(
            Indicator.version_id == report.framework_version_id,
            Indicator.code == code)).maximum = Decimal(maximum)
        db.session.commit()


def _stored(report_id: int, code: str) -> dict[str, str]:
    """The value as read back from the database, as the page shows it."""
    with system_scope("test"):
        db.session.expire_all()
        return value_fields(_report(report_id)[1][code])


def test_domain_refuses_twenty_digits_and_keeps_fifteen_exactly(report_id: int) -> None:
    with system_scope("test"):
        report, values = _report(report_id)
        with pytest.raises(ReportError) as caught:
            save_value(values["II.1.b"], report, {"value": TWENTY}, check_version=False)
        assert "quá dài để lưu chính xác" in caught.value.problems["value"]
        with pytest.raises(ReportError) as caught:
            save_value(values["II.1.a"], report, {"numerator": "1", "denominator": TWENTY},
                       check_version=False)
        assert "quá dài" in caught.value.problems["denominator"]
        save_value(values["II.1.b"], report, {"value": "999.999.999.999.999"},
                   check_version=False)
        db.session.commit()
    assert _stored(report_id, "II.1.b")["value"] == "999.999.999.999.999"


def test_domain_says_how_an_ambiguous_count_was_read(report_id: int) -> None:
    with system_scope("test"):
        report, values = _report(report_id)
        count, ratio = values["II.1.b"], values["II.1.a"]
        assert save_value(count, report, {"value": "1,234"}, check_version=False) == {
            "value": "“1,234” đã hiểu là 1.234"}
        assert count.value == 1234
        # the page re-sends what it shows ("1.234"): nothing new to say
        assert save_value(count, report, {"value": "1.234", "note": "x"},
                          check_version=False) == {}
        save_value(count, report, {"value": "5"}, check_version=False)
        assert save_value(count, report, {"value": "1.234"}, check_version=False) == {
            "value": "“1.234” đã hiểu là 1.234"}
        assert save_value(count, report, {"value": "1.234.567"}, check_version=False) == {}
        assert save_value(ratio, report, {"numerator": "1,000", "denominator": "2.000"},
                          check_version=False) == {
            "numerator": "“1,000” đã hiểu là 1.000",
            "denominator": "“2.000” đã hiểu là 2.000"}
        for text in ("1.234,5", "1,234.5"):   # a count has no decimals, in either form
            with pytest.raises(ReportError) as caught:
                save_value(count, report, {"value": text}, check_version=False)
            assert caught.value.problems == {"value": "Nhập số nguyên."}


def test_domain_refuses_a_value_above_the_indicators_maximum(report_id: int) -> None:
    _set_maximum(report_id, "II.1.b", "1000")
    _set_maximum(report_id, "II.1.a", "500")
    with system_scope("test"):
        report, values = _report(report_id)
        with pytest.raises(ReportError) as caught:
            save_value(values["II.1.b"], report, {"value": "1.001"}, check_version=False)
        assert caught.value.problems == {"value": (
            "1.001 vượt mức tối đa hợp lý 1.000 đã đặt cho chỉ tiêu này; hãy kiểm tra lại "
            "số liệu (đơn vị chủ trì kế hoạch có thể nâng mức tối đa).")}
        with pytest.raises(ReportError) as caught:
            save_value(values["II.1.a"], report, {"numerator": "10", "denominator": "501"},
                       check_version=False)
        assert set(caught.value.problems) == {"denominator"}
        assert "mức tối đa hợp lý 500" in caught.value.problems["denominator"]
        save_value(values["II.1.b"], report, {"value": "1000"}, check_version=False)
        assert values["II.1.b"].value == 1000


def _autosave(client, report_id: int, row_id: int, version: int, **data):
    return client.post(f"/reports/{report_id}/values/{row_id}", headers={"HX-Request": "1"},
                       data={"csrf_token": csrf_token(client, "/auth/password"),
                             "version": str(version), **data})


def _row(report_id: int, code: str) -> tuple[int, int]:
    with system_scope("test"):
        db.session.expire_all()
        row = _report(report_id)[1][code]
        return row.id, row.version


def test_page_autosave_echoes_refuses_and_names_the_maximum(report_id: int, login_as) -> None:
    drafter = login_as("drafter")
    row_id, version = _row(report_id, "II.1.b")
    refused = _autosave(drafter, report_id, row_id, version, value=TWENTY)
    assert refused.status_code == 200          # the other fields saved; this one's message
    assert "quá dài để lưu chính xác" in refused.get_data(as_text=True)
    assert _stored(report_id, "II.1.b")["value"] == ""          # nothing kept

    saved = _autosave(drafter, report_id, row_id, version, value="1,234")
    assert saved.status_code == 200
    assert "“1,234” đã hiểu là 1.234" in saved.get_data(as_text=True)
    assert _stored(report_id, "II.1.b")["value"] == "1.234"
    row_id, version = _row(report_id, "II.1.b")
    again = _autosave(drafter, report_id, row_id, version, value="1.234", note="n")
    assert again.status_code == 200 and "đã hiểu là" not in again.get_data(as_text=True)
    row_id, version = _row(report_id, "II.1.b")
    plain = _autosave(drafter, report_id, row_id, version, value="1.234.567")
    assert plain.status_code == 200 and "đã hiểu là" not in plain.get_data(as_text=True)
    for text in ("1.234,5", "1,234.5"):
        answer = _autosave(drafter, report_id, row_id, version + 1, value=text)
        assert answer.status_code == 200 and "Nhập số nguyên." in answer.get_data(
            as_text=True), text

    _set_maximum(report_id, "II.1.b", "2000000")
    row_id, version = _row(report_id, "II.1.b")
    above = _autosave(drafter, report_id, row_id, version, value="2.000.001")
    assert above.status_code == 200
    assert "2.000.001 vượt mức tối đa hợp lý 2.000.000" in above.get_data(as_text=True)
    assert _stored(report_id, "II.1.b")["value"] == "1.234.567"


def test_api_refuses_echoes_and_names_the_maximum(app: Flask, report_id: int,
                                                  token_for) -> None:
    client = app.test_client()
    drafter = {"Authorization": f"Bearer {token_for('drafter')}"}
    url = "/api/v1/units/D1/reports/2026"
    for given in (int(TWENTY), TWENTY):     # a JSON number or a string
        refused = client.put(url, headers=drafter, json={"values": {"II.1.b": {"value": given}}})
        assert refused.status_code == 422
        assert "quá dài để lưu chính xác" in refused.get_json()["error"]["fields"][
            "values.II.1.b.value"]
    assert client.get(url, headers=drafter).get_json()["values"]["II.1.b"]["value"] is None
    # "1,234" is read as the count 1234, and the answer says so by giving the value back
    read = client.put(url, headers=drafter, json={"values": {"II.1.b": {"value": "1,234"}}})
    assert read.status_code == 200 and read.get_json()["values"]["II.1.b"]["value"] == 1234
    for text in ("1.234,5", "1,234.5"):
        answer = client.put(url, headers=drafter, json={"values": {"II.1.b": {"value": text}}})
        assert answer.status_code == 422
        assert answer.get_json()["error"]["fields"] == {
            "values.II.1.b.value": "Nhập số nguyên."}
    _set_maximum(report_id, "II.1.b", "5000")
    above = client.put(url, headers=drafter, json={"values": {"II.1.b": {"value": 5001}}})
    assert above.status_code == 422
    assert "5.001 vượt mức tối đa hợp lý 5.000" in above.get_json()["error"]["fields"][
        "values.II.1.b.value"]
    assert client.get(url, headers=drafter).get_json()["values"]["II.1.b"]["value"] == 1234


def test_the_framework_owner_sets_the_maximum_on_the_indicator(app: Flask, login_as) -> None:
    fid = make_framework("D1", with_draft=True)
    with system_scope("test"):
        draft = framework(fid).draft()
        ids = {i.code: i.id for i in db.session.scalars(select(Indicator).where(
            Indicator.version_id == draft.id))}
    owner = login_as("consolidator")
    url = f"/frameworks/{fid}/draft/indicators/{ids['II.1.b']}"
    page = owner.get(url).get_data(as_text=True)
    assert "Mức tối đa hợp lý" in page and 'name="maximum"' in page
    form = {"csrf_token": csrf_token(owner, url), "name": "Số lớp tập huấn", "kind": "count",
            "aggregation": "sum", "time_behaviour": "cumulative", "unit_of_measure": "lớp",
            "target_final": "30", "target_year": "2030",
            "reporting_kinds": ["district", "commune"]}
    bad = owner.post(url, data={**form, "maximum": TWENTY})
    assert bad.status_code == 422 and "Mức tối đa: “99999999999999999999” quá dài" in \
        bad.get_data(as_text=True)
    text = owner.post(url, data={**form, "kind": "text", "aggregation": "none",
                                 "maximum": "10"})
    assert text.status_code == 422 and "Mức tối đa chỉ áp dụng" in text.get_data(as_text=True)
    assert owner.post(url, data={**form, "maximum": "1.200"}).status_code == 302
    with system_scope("test"):
        assert db.session.get(Indicator, ids["II.1.b"]).maximum == 1200
    assert 'value="1.200"' in owner.get(url).get_data(as_text=True)
    assert owner.post(url, data={**form, "maximum": ""}).status_code == 302
    with system_scope("test"):
        db.session.expire_all()
        assert db.session.get(Indicator, ids["II.1.b"]).maximum is None


def test_a_new_version_keeps_the_maximum(app: Flask, world) -> None:
    from portal.frameworks.service import new_draft

    fid = make_framework("D1", indicators={
        "II.1.b": {"kind": "count", "aggregation": "sum", "time_behaviour": "per_year",
                   "reporting_kinds": "district", "maximum": Decimal(300)}})
    with system_scope("test"):
        new_draft(framework(fid), None)
        db.session.flush()
        draft = framework(fid).draft()
        assert db.session.scalar(select(Indicator.maximum).where(
            Indicator.version_id == draft.id, Indicator.code == "II.1.b")) == 300


def test_a_percentage_the_columns_would_round_is_refused(app) -> None:
    """A target in per cent is kept as a fraction with 4 places: 33,33 % is 0,3333, but
    33,3333 % would have become 0,3333 without a word."""
    from portal.numbers import as_fraction

    assert as_fraction(parse_number("33,33")) == Decimal("0.3333")
    assert as_fraction(parse_number("33.33")) == Decimal("0.3333")
    with pytest.raises(NumberError) as caught:
        as_fraction(parse_number("33,3333"), "33,3333")
    assert str(caught.value) == ("“33,3333”: tỷ lệ phần trăm có tối đa 2 chữ số sau dấu "
                                 "thập phân.")


def test_the_indicator_page_refuses_a_target_it_would_round(app: Flask, login_as) -> None:
    fid = make_framework("D1", with_draft=True)
    with system_scope("test"):
        ratio_id = db.session.scalar(select(Indicator.id).where(
            Indicator.version_id == framework(fid).draft().id, Indicator.code == "II.1.a"))
    owner = login_as("consolidator")
    url = f"/frameworks/{fid}/draft/indicators/{ratio_id}"
    form = {"csrf_token": csrf_token(owner, url), "name": "Công chức được đào tạo",
            "kind": "ratio", "aggregation": "ratio_of_sums", "time_behaviour": "stock",
            "numerator_label": "Đã đào tạo", "denominator_label": "Tổng số",
            "unit_of_measure": "%", "target_final": "33,3333", "target_year": "2030",
            "reporting_kinds": ["district"]}
    refused = owner.post(url, data=form)
    assert refused.status_code == 422
    assert "tỷ lệ phần trăm có tối đa 2 chữ số sau dấu thập phân" in refused.get_data(
        as_text=True)
    assert owner.post(url, data={**form, "target_final": "33,33"}).status_code == 302
    with system_scope("test"):
        assert db.session.get(Indicator, ratio_id).target_final == Decimal("0.3333")


def test_the_api_gives_each_indicators_maximum(app: Flask, world, token_for) -> None:
    fid = make_framework("P1", indicators={
        "II.1.a": {"kind": "ratio", "aggregation": "ratio_of_sums", "time_behaviour": "stock",
                   "numerator_label": "a", "denominator_label": "b",
                   "reporting_kinds": "district"},
        "II.1.b": {"kind": "count", "aggregation": "sum", "time_behaviour": "per_year",
                   "reporting_kinds": "district", "maximum": Decimal(300)}})
    body = app.test_client().get(f"/api/v1/frameworks/{fid}", headers={
        "Authorization": f"Bearer {token_for('drafter')}"}).get_json()
    assert {i["code"]: i["maximum"] for i in body["indicators"]} == {"II.1.a": None,
                                                                     "II.1.b": 300}


def test_a_plans_target_is_read_back_and_kept_within_the_maximum(app: Flask, world,
                                                                 login_as) -> None:
    from portal.plans.plan import PlanTarget
    from portal.plans.service import PlanError, save_target, start_plan
    from tenants.unit import Unit

    fid = make_framework("P1")
    with system_scope("test"):
        d1 = db.session.scalar(select(Unit).where(Unit.code == "D1"))
        plan = start_plan(d1, framework(fid), None)
        revision = plan.revisions[-1]
        count = next(t for t in revision.target_rows if db.session.get(
            Indicator, t.indicator_id).code == "II.1.b")
        assert save_target(count, revision, "1,234") == {"value": "“1,234” đã hiểu là 1.234"}
        assert save_target(count, revision, "1.234.567") == {}
        with pytest.raises(PlanError) as caught:
            save_target(count, revision, TWENTY)
        assert "quá dài để lưu chính xác" in caught.value.problems["value"]
        db.session.get(Indicator, count.indicator_id).maximum = Decimal(100)
        with pytest.raises(PlanError) as caught:
            save_target(count, revision, "101")
        assert "101 vượt mức tối đa hợp lý 100" in caught.value.problems["value"]
        db.session.get(Indicator, count.indicator_id).maximum = None
        db.session.commit()
        plan_id, target_id = plan.id, count.id
    writer = login_as("drafter")
    url = f"/plans/{plan_id}/targets/{target_id}"
    answer = writer.post(url, headers={"HX-Request": "1"}, data={
        "csrf_token": csrf_token(writer, "/auth/password"), "value": "2.500"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "“2.500” đã hiểu là 2.500" in answer.get_data(as_text=True)
    with system_scope("test"):
        assert db.session.scalar(select(PlanTarget.value).where(
            PlanTarget.id == target_id)) == 2500
