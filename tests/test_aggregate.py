"""Every aggregation rule against figures computed by hand (PRODUCT.md § the numbers).

Province P1: districts D1 (communes C11, C12) and D2 (commune C21, closed before the
cut-off), and the department P1.SKHCN. Indicators: a yes/no (share of expected units),
b a count per year, c a count cumulative over the years, d a ratio of a stock (latest
value), e a text.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.frameworks.period import ReportingPeriod
from portal.reports.aggregate import aggregate
from portal.reports.report import UnitReport
from tenants.scoping import Scope, system_scope, use_scope
from tenants.unit import Unit
from tests.builders import (
    AGGREGATE_PLAN,
    AGGREGATE_SETTINGS,
    LAST_MINUTE,
    LATE,
    ON_TIME,
    file_report,
    framework,
    make_framework,
)


@pytest.fixture
def province(world) -> int:
    fid = make_framework("P1", text=AGGREGATE_PLAN, indicators=AGGREGATE_SETTINGS)
    with system_scope("test data"):
        fw = framework(fid)
        db.session.add(ReportingPeriod(framework_id=fid, owner_unit_id=fw.owner_unit_id,
                                       year=2025, due_date=date(2025, 11, 30),
                                       cutoff_date=date(2025, 11, 15)))
        db.session.flush()
        c21 = db.session.scalar(select(Unit).where(Unit.code == "C21"))
        c21.valid_to = date(2026, 7, 1)          # merged away before the 2026 cut-off
        file_report(fid, "D1", 2026, {"II.1.a": {"yes_no": "yes"}, "II.1.b": {"value": "2"},
                                      "II.1.c": {"value": "1"},
                                      "II.1.d": {"numerator": "10", "denominator": "10"},
                                      "II.1.e": {"text": "Đã tập huấn"}},
                    "submitted", ON_TIME)
        file_report(fid, "C11", 2026, {"II.1.a": {"yes_no": "no"}, "II.1.b": {"value": "1"},
                                       "II.1.c": {"value": "0"},
                                       "II.1.d": {"numerator": "0", "denominator": "90"}},
                    "submitted", LATE)
        file_report(fid, "C12", 2026, {"II.1.b": {"value": "100"}}, "draft", None)
        file_report(fid, "D2", 2025, {"II.1.b": {"value": "7"}, "II.1.c": {"value": "4"},
                                      "II.1.d": {"numerator": "5", "denominator": "20"}},
                    "accepted", datetime(2025, 11, 10, tzinfo=UTC))
        file_report(fid, "D2", 2026, {"II.1.a": {"yes_no": "yes"}, "II.1.b": {"value": "3"},
                                      "II.1.c": {"value": "2"}},
                    "accepted", LAST_MINUTE)
        file_report(fid, "P1.SKHCN", 2026, {"II.1.a": {"yes_no": "yes"},
                                            "II.1.b": {"value": "0"}},
                    "submitted", ON_TIME)
        db.session.commit()
    return fid


def compute(fid: int, code: str = "P1", year: int = 2026) -> dict:
    with system_scope("test"):
        unit = db.session.scalar(select(Unit).where(Unit.code == code))
        return aggregate(unit, framework(fid), year)


def test_the_province(province: int) -> None:
    result = compute(province)
    # expected: D1, C11, C12, D2, P1.SKHCN (C21 closed before the cut-off)
    assert result["reporting"] == {"expected": 5, "submitted": 4, "on_time": 3,
                                   "accepted": 1, "rate": 0.8, "timeliness": 0.6}
    values = result["indicators"]
    assert values["II.1.a"] == {"value": 0.6, "numerator": 3, "denominator": 5}
    assert values["II.1.b"]["value"] == 6            # 2 + 1 + 3 + 0: not the draft's 100
    assert values["II.1.c"]["value"] == 7            # 1 + 0 + 2, and D2's 4 of 2025
    # ratio of sums over each unit's latest stock: (10 + 0 + 5) / (10 + 90 + 20)
    assert values["II.1.d"] == {"value": 0.125, "numerator": 15, "denominator": 120}
    assert values["II.1.e"] == {"texts": [{"unit": "D1", "text": "Đã tập huấn"}]}


def test_each_child(province: int) -> None:
    children = {c["unit"]: c for c in compute(province)["children"]}
    d1 = children["D1"]
    # PRODUCT.md's own example: 10 of 10 and 0 of 90 trained is 10 %, never 50 %
    assert d1["indicators"]["II.1.d"] == {"value": 0.1, "numerator": 10, "denominator": 100}
    assert d1["reporting"] == {"expected": 3, "submitted": 2, "on_time": 1, "accepted": 0,
                               "rate": 2 / 3, "timeliness": 1 / 3}
    assert d1["indicators"]["II.1.b"]["value"] == 3
    d2 = children["D2"]
    assert d2["reporting"]["expected"] == 1 and d2["reporting"]["timeliness"] == 1.0
    assert d2["indicators"]["II.1.d"]["value"] == 0.25   # the 2025 stock still counts
    assert children["P1.SKHCN"]["indicators"]["II.1.a"]["value"] == 1.0


def test_the_totals_alone_equal_the_totals_by_child(province: int) -> None:
    """``by_child=False`` (the national board's): the same totals, grouped by the root
    only — one group, the root's, where the default has one per child."""
    from portal.reports.aggregate import compute as live_figures

    with system_scope("test"):
        unit = db.session.scalar(select(Unit).where(Unit.code == "P1"))
        fw = framework(province)
        for year in (2025, 2026):
            by_child = live_figures(unit, fw, [year])
            whole = live_figures(unit, fw, [year], by_child=False)
            assert by_child is not None and whole is not None
            assert whole.reporting(year) == by_child.reporting(year)
            assert whole.plans_issued(year) == by_child.plans_issued(year)
            for indicator in by_child.indicators:
                assert whole.indicator(indicator, year) == by_child.indicator(indicator, year)
            assert set(whole.sums.rates[year]) == {unit.id}
            assert len(by_child.sums.rates[year]) == 3       # D1, D2, P1.SKHCN
            assert set(whole.sums.flows[year]) == {unit.id}
        # the hand-computed figures of test_the_province
        assert whole.reporting(2026)["expected"] == 5
        assert whole.indicator(by_child.indicators[3], 2026) == {
            "value": 0.125, "numerator": 15, "denominator": 120}


def test_an_earlier_year(province: int) -> None:
    result = compute(province, year=2025)
    values = result["indicators"]
    assert values["II.1.b"]["value"] == 7 and values["II.1.c"]["value"] == 4
    assert result["reporting"]["submitted"] == 1
    assert result["reporting"]["expected"] == 6      # C21 was still open in 2025


def test_a_commune_aggregates_itself(province: int) -> None:
    result = compute(province, code="D1")
    assert result["reporting"]["expected"] == 2      # C11 and C12 below D1
    assert result["indicators"]["II.1.d"]["value"] == 0.0


def test_queries_do_not_grow_with_the_units(province: int, count_queries) -> None:
    before = count_queries(lambda: compute(province))
    from tenants.tree import import_units, read_unit_csv

    rows = "code,name,type,level,parent_code\n" + "".join(
        f"X{i},Xã Thêm {i},xã,3,D2\n" for i in range(40))
    with system_scope("test"):
        import_units(read_unit_csv(rows.encode()))
        for i in range(0, 40, 2):
            file_report(province, f"X{i}", 2026, {"II.1.b": {"value": "1"}}, "submitted",
                        ON_TIME)
        db.session.commit()
    after = count_queries(lambda: compute(province))
    assert after == before
    assert compute(province)["reporting"]["expected"] == 45


def test_the_caller_scope_limits_what_is_counted(province: int) -> None:
    with system_scope("test"):
        d1 = db.session.scalar(select(Unit).where(Unit.code == "D1"))
        d1_id = d1.id
    with use_scope(Scope(subtree_roots=frozenset({d1_id}))):
        unit = db.session.scalar(select(Unit).where(Unit.id == d1_id))
        result = aggregate(unit, framework(province), 2026)
    assert result["reporting"]["expected"] == 2


def test_aggregates_api(app: Flask, province: int, token_for) -> None:
    headers = {"Authorization": f"Bearer {token_for('leader')}"}
    client = app.test_client()
    body = client.get("/api/v1/units/D1/aggregates?year=2026", headers=headers).get_json()
    assert body["unit"] == "D1" and body["year"] == 2026
    assert body["indicators"]["II.1.d"] == {"value": 0.0, "numerator": 0, "denominator": 90}
    assert client.get("/api/v1/units/D1/aggregates", headers=headers).status_code == 400
    assert client.get("/api/v1/units/D2/aggregates?year=2026",
                      headers=headers).status_code == 404
    with system_scope("test"):
        assert db.session.scalar(select(UnitReport.id).limit(1)) is not None
