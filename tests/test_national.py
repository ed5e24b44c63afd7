"""The ministry above the provinces (issue 21): indicators mapped across plans, the
mapping's refusals, and the national aggregate over two provinces with different plans,
computed by hand.

The national plan (owned by ministry BKHCN): a) classes held (count), b) civil servants
trained (ratio), c) units that disseminated the directive (yes/no share), d) investment
(amount, VND). Province NA's plan has the same four (its investment in million VND) and a
text; province NB's has other indicators: seminars and workshops (two counts that add up
to the national classes), officials trained and officials concerned (counts: the national
ratio's numerator and denominator) and a count with no national counterpart.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.dashboard.national import national_figure
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.indicator import Indicator
from portal.frameworks.mapping import (
    IndicatorMapping,
    MappingError,
    MappingMode,
    check,
    save_mapping,
    set_parent,
)
from tenants.scoping import Scope, system_scope, use_scope
from tests.builders import ON_TIME, file_report, framework, make_framework

NATIONAL_PLAN = """KẾ HOẠCH
Triển khai Chỉ thị số 38-CT/TW
I. MỤC ĐÍCH
Kiểm tra.
II. CHỈ TIÊU
1. Đến năm 2030
a) Lớp đào tạo, tập huấn.
b) Công chức được đào tạo.
c) Địa phương quán triệt Chỉ thị.
d) Đầu tư trang thiết bị.
III. NHIỆM VỤ
1. Tuyên truyền
a) Tuyên truyền./.
"""
ALL = "district,commune"
NATIONAL = {
    "II.1.a": {"kind": "count", "aggregation": "sum", "time_behaviour": "per_year",
               "unit_of_measure": "lớp", "reporting_kinds": ALL},
    "II.1.b": {"kind": "ratio", "aggregation": "ratio_of_sums", "time_behaviour": "per_year",
               "numerator_label": "Đã đào tạo", "denominator_label": "Tổng số",
               "reporting_kinds": ALL},
    "II.1.c": {"kind": "yes_no", "aggregation": "share_of_expected",
               "time_behaviour": "per_year", "reporting_kinds": ALL},
    "II.1.d": {"kind": "amount", "aggregation": "sum", "time_behaviour": "per_year",
               "unit_of_measure": "đồng", "reporting_kinds": ALL},
}
PLAN_A = """KẾ HOẠCH
Tỉnh Bắc A thực hiện Quyết định số 1703/QĐ-TTg
I. MỤC ĐÍCH
Kiểm tra.
II. CHỈ TIÊU
1. Đến năm 2030
a) Lớp tập huấn.
b) Công chức được đào tạo.
c) Đơn vị quán triệt Chỉ thị.
d) Kinh phí đầu tư (triệu đồng).
đ) Năng lực thử nghiệm.
III. NHIỆM VỤ
1. Tuyên truyền
a) Tuyên truyền./.
"""
SETTINGS_A = {**NATIONAL,
              "II.1.d": {**NATIONAL["II.1.d"], "unit_of_measure": "triệu đồng"},
              "II.1.đ": {"kind": "text", "aggregation": "none", "time_behaviour": "per_year",
                         "reporting_kinds": ALL}}
PLAN_B = """KẾ HOẠCH
Tỉnh Nam B thực hiện Quyết định số 1703/QĐ-TTg
I. MỤC ĐÍCH
Kiểm tra.
II. CHỈ TIÊU
1. Đến năm 2030
a) Hội thảo về tiêu chuẩn.
b) Buổi tập huấn về đo lường.
c) Số công chức đã được bồi dưỡng.
d) Tổng số công chức làm công tác tiêu chuẩn, đo lường, chất lượng.
e) Sáng kiến cải tiến năng suất.
III. NHIỆM VỤ
1. Tuyên truyền
a) Tuyên truyền./.
"""
COUNT = {"kind": "count", "aggregation": "sum", "time_behaviour": "per_year",
         "reporting_kinds": ALL}
SETTINGS_B = {code: COUNT for code in ("II.1.a", "II.1.b", "II.1.c", "II.1.d", "II.1.e")}


def _indicators(fid: int) -> dict[str, Indicator]:
    version = framework(fid).published()
    return {i.code: i for i in db.session.scalars(
        select(Indicator).where(Indicator.version_id == version.id)
        .order_by(Indicator.position))}


@pytest.fixture
def plans(national_world) -> dict[str, int]:
    """The national plan and the two provinces' plans implementing it (no mapping yet)."""
    ids = {"national": make_framework("BKHCN", text=NATIONAL_PLAN, indicators=NATIONAL),
           "NA": make_framework("NA", text=PLAN_A, indicators=SETTINGS_A),
           "NB": make_framework("NB", text=PLAN_B, indicators=SETTINGS_B)}
    with system_scope("test data"):
        for code in ("NA", "NB"):
            set_parent(framework(ids[code]), framework(ids["national"]))
        db.session.commit()
    return ids


def _rows(fid: int, national_fid: int, given: dict[str, tuple]) -> dict:
    own, national = _indicators(fid), _indicators(national_fid)
    return {own[code].id: (mode, national[target].id if target else None,
                           Decimal(factor) if factor is not None else None)
            for code, (mode, target, factor) in given.items()}


MAPPING_A = {"II.1.a": ("same", "II.1.a", None), "II.1.b": ("same", "II.1.b", None),
             "II.1.c": ("same", "II.1.c", None), "II.1.d": ("factor", "II.1.d", "1000000"),
             "II.1.đ": ("none", None, None)}
MAPPING_B = {"II.1.a": ("part", "II.1.a", None), "II.1.b": ("part", "II.1.a", "1"),
             "II.1.c": ("numerator", "II.1.b", None),
             "II.1.d": ("denominator", "II.1.b", None), "II.1.e": ("none", None, None)}


@pytest.fixture
def mapped(plans) -> dict[str, int]:
    with system_scope("test data"):
        for code, given in (("NA", MAPPING_A), ("NB", MAPPING_B)):
            save_mapping(framework(plans[code]).published(),
                         _rows(plans[code], plans["national"], given))
        db.session.commit()
    return plans


def _refused(plans: dict, code: str, given: dict) -> list[str]:
    with system_scope("test"), pytest.raises(MappingError) as refused:
        check(framework(plans[code]).published(), _rows(plans[code], plans["national"], given))
    return refused.value.messages


def test_the_mapping_is_saved_per_indicator(mapped) -> None:
    with system_scope("test"):
        rows = db.session.scalars(select(IndicatorMapping).where(
            IndicatorMapping.version_id == framework(mapped["NB"]).published().id)).all()
        assert sorted(r.mode for r in rows) == ["denominator", "none", "numerator", "part",
                                                "part"]
        assert {r.unit_id for r in rows} == {framework(mapped["NB"]).owner_unit_id}


def test_a_share_or_ratio_cannot_feed_a_count(plans) -> None:
    assert "Tỷ lệ hoặc tỷ lệ đơn vị không thể cung cấp cho một chỉ tiêu đếm số lượng" in " ".join(
        _refused(plans, "NA", {"II.1.b": ("same", "II.1.a", None)}))
    assert "Chỉ tiêu có/không chỉ cung cấp cho một tỷ lệ có/không" in " ".join(
        _refused(plans, "NA", {"II.1.c": ("same", "II.1.a", None)}))


def test_a_yes_no_only_feeds_a_yes_no_share(plans) -> None:
    assert "Chỉ tiêu có/không chỉ cung cấp cho một tỷ lệ có/không" in " ".join(
        _refused(plans, "NA", {"II.1.c": ("same", "II.1.b", None)}))
    assert "Chỉ tiêu có/không chỉ cung cấp cho một tỷ lệ có/không" in " ".join(
        _refused(plans, "NB", {"II.1.a": ("same", "II.1.c", None)}))


def test_a_text_never_feeds_a_number(plans) -> None:
    assert "Chỉ tiêu dạng văn bản không bao giờ cung cấp cho một chỉ tiêu dạng số" in " ".join(
        _refused(plans, "NA", {"II.1.đ": ("same", "II.1.a", None)}))


def test_counts_feed_a_ratio_only_as_numerator_or_denominator(plans) -> None:
    assert "với vai trò tử số hoặc mẫu số" in " ".join(
        _refused(plans, "NB", {"II.1.c": ("same", "II.1.b", None)}))
    assert "Tử số hoặc mẫu số chỉ cung cấp cho một tỷ lệ quốc gia" in " ".join(
        _refused(plans, "NB", {"II.1.c": ("numerator", "II.1.a", None)}))
    assert "Hệ số quy đổi phải lớn hơn 0" in " ".join(
        _refused(plans, "NA", {"II.1.a": ("factor", "II.1.a", "0")}))


def test_only_an_indicator_of_the_parent_framework(plans) -> None:
    with system_scope("test"):
        own = _indicators(plans["NA"])
        other = _indicators(plans["NB"])     # a framework that is not NA's parent
        with pytest.raises(MappingError) as refused:
            check(framework(plans["NA"]).published(),
                  {own["II.1.a"].id: ("same", other["II.1.a"].id, None)})
    assert "kế hoạch cấp trên" in refused.value.messages[0]


def test_the_same_national_indicator_is_fed_once_unless_parts(plans) -> None:
    messages = _refused(plans, "NB", {"II.1.a": ("same", "II.1.a", None),
                                      "II.1.b": ("same", "II.1.a", None)})
    assert "II.1.a, II.1.b cùng cung cấp cho chỉ tiêu quốc gia II.1.a" in messages[0]
    assert "các phần cộng lại" in messages[0]
    assert _refused(plans, "NB", {"II.1.a": ("part", "II.1.a", None),
                                  "II.1.b": ("same", "II.1.a", None)})
    assert _refused(plans, "NB", {"II.1.c": ("numerator", "II.1.b", None),
                                  "II.1.d": ("numerator", "II.1.b", None)})
    with system_scope("test"):   # declared as parts: accepted
        check(framework(plans["NB"]).published(),
              _rows(plans["NB"], plans["national"], MAPPING_B))


def test_a_refused_save_writes_nothing(plans) -> None:
    with system_scope("test"):
        version = framework(plans["NB"]).published()
        with pytest.raises(MappingError):
            save_mapping(version, _rows(plans["NB"], plans["national"], {
                "II.1.e": ("none", None, None), "II.1.a": ("same", "II.1.b", None)}))
        assert db.session.scalars(select(IndicatorMapping)).all() == []


def test_the_parent_must_be_owned_above(plans) -> None:
    with system_scope("test"), pytest.raises(MappingError):
        set_parent(framework(plans["NA"]), framework(plans["NB"]))


def _file(plans: dict) -> None:
    with system_scope("test data"):
        a, b = plans["NA"], plans["NB"]
        file_report(a, "NA.D1", 2026, {"II.1.a": {"value": "3"},
                                       "II.1.b": {"numerator": "4", "denominator": "10"},
                                       "II.1.c": {"yes_no": "yes"}, "II.1.d": {"value": "2"},
                                       "II.1.đ": {"text": "Phòng thử nghiệm mới"}},
                    "submitted", ON_TIME)
        file_report(a, "NA.C11", 2026, {"II.1.a": {"value": "2"},
                                        "II.1.b": {"numerator": "1", "denominator": "5"},
                                        "II.1.c": {"yes_no": "no"},
                                        "II.1.d": {"value": "1"}},
                    "accepted", ON_TIME)
        file_report(b, "NB.D1", 2026, {"II.1.a": {"value": "1"}, "II.1.b": {"value": "2"},
                                       "II.1.c": {"value": "6"}, "II.1.d": {"value": "8"},
                                       "II.1.e": {"value": "50"}},
                    "submitted", ON_TIME)
        file_report(b, "NB.C11", 2026, {"II.1.a": {"value": "0"}, "II.1.b": {"value": "1"},
                                        "II.1.c": {"value": "1"}, "II.1.d": {"value": "2"}},
                    "submitted", ON_TIME)
        db.session.commit()


def _figure(plans: dict, code: str, year: int = 2026):
    national = framework(plans["national"])
    indicator = _indicators(national.id)[code]
    return national_figure(indicator, year)


def test_the_national_aggregate_over_two_different_plans(mapped, national_world) -> None:
    _file(mapped)
    ministry = national_world.unit_ids["BKHCN"]
    with use_scope(Scope(subtree_roots=frozenset({ministry}))):
        # classes: NA 3 + 2 = 5 (same meaning); NB seminars 1 + 0 and workshops 2 + 1,
        # parts that add up: 4. Nationally 9.
        classes = _figure(mapped, "II.1.a")
        assert classes.value == Decimal(9)
        assert {c.province.code: c.value for c in classes.contributions} == {
            "NA": Decimal(5), "NB": Decimal(4)}
        # trained: NA's ratio (4 + 1) / (10 + 5) = 5/15; NB's counts as numerator 6 + 1
        # and denominator 8 + 2 = 7/10. Nationally (5 + 7) / (15 + 10) = 12/25 — not the
        # mean of 1/3 and 7/10.
        trained = _figure(mapped, "II.1.b")
        assert (trained.numerator, trained.denominator) == (Decimal(12), Decimal(25))
        assert trained.number == pytest.approx(0.48)
        # disseminated: only NA has a yes/no: NA.D1 yes, NA.C11 no → 1 of 2 expected
        shared = _figure(mapped, "II.1.c")
        assert (shared.numerator, shared.denominator) == (Decimal(1), Decimal(2))
        assert [c.missing for c in shared.contributions] == ["", "unmapped"]
        # investment: NA in million VND, (2 + 1) × 1,000,000; NB maps nothing to it
        invested = _figure(mapped, "II.1.d")
        assert invested.value == Decimal(3_000_000)
        # the trace: every report each figure came from, province by province
        assert sorted((r.unit_code, r.year) for r in classes.trace) == [
            ("NA.C11", 2026), ("NA.D1", 2026), ("NB.C11", 2026), ("NB.D1", 2026)]
        assert sorted(r.unit_code for r in invested.trace) == ["NA.C11", "NA.D1"]
        assert [c.province.code for c in trained.ranking] == ["NB", "NA"]


def test_a_draft_report_is_not_in_the_national_figure(mapped, national_world) -> None:
    _file(mapped)
    with system_scope("test data"):
        file_report(mapped["NB"], "NB.D1", 2027, {"II.1.a": {"value": "100"}}, "draft", None)
        file_report(mapped["NB"], "NB.C11", 2027, {"II.1.a": {"value": "7"}}, "submitted",
                    ON_TIME)
        db.session.commit()
    with use_scope(Scope(subtree_roots=frozenset({national_world.unit_ids["BKHCN"]}))):
        figure = _figure(mapped, "II.1.a", 2027)
        assert figure.value == Decimal(7)
        assert [r.unit_code for r in figure.trace] == ["NB.C11"]


def test_a_province_reads_only_itself(mapped, national_world) -> None:
    """Under a province's scope the national figure is that province's alone: the other
    province's plan and mapping are out of its reach."""
    _file(mapped)
    with use_scope(Scope(subtree_roots=frozenset({national_world.unit_ids["NA"]}))):
        figure = _figure(mapped, "II.1.a")
        assert [c.province.code for c in figure.contributions] == ["NA"]
        assert figure.value == Decimal(5)


def test_changing_the_parent_drops_the_mapping(mapped) -> None:
    with system_scope("test"):
        set_parent(framework(mapped["NB"]), None)
        db.session.flush()
        version = framework(mapped["NB"]).published()
        assert db.session.scalars(select(IndicatorMapping).where(
            IndicatorMapping.version_id == version.id)).all() == []
        assert db.session.get(Framework, mapped["NB"]).parent_id is None
        assert MappingMode.NONE == "none"


# ---- the pages ------------------------------------------------------------------------


def test_the_owner_maps_on_the_mapping_page(plans, national_world, login_as) -> None:
    from tests.conftest import csrf_token

    url = f"/frameworks/{plans['NB']}/mapping"
    # NA's administrator does not reach NB's framework: not found
    assert login_as("province admin").get(url).status_code == 404
    # the ministry's leader reads NB's framework but does not maintain it (its
    # consolidator does: consolidators and administrators above maintain the frameworks
    # below, as everywhere)
    assert login_as("ministry leader").get(url).status_code == 403
    assert login_as("ministry consolidator").get(url).status_code == 200
    with system_scope("test data"):
        from portal.accounts.service import create_user, grant
        from tenants.unit import Unit

        owner = create_user("u.nb.quantri", "Mat-khau-2025", full_name="NB admin")
        grant(owner, db.session.scalar(select(Unit).where(Unit.code == "NB")), "admin")
        db.session.commit()
        own, national = _indicators(plans["NB"]), _indicators(plans["national"])
        ids = {code: i.id for code, i in own.items()}
        targets = {code: i.id for code, i in national.items()}
    national_world.usernames["nb admin"] = "u.nb.quantri"
    client = login_as("nb admin")
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "data-national-picker" in html and "tom-select.complete.min.js" in html
    token = csrf_token(client, url)
    refused = client.post(url, data={"csrf_token": token,
                                     f"mode-{ids['II.1.a']}": "same",
                                     f"national-{ids['II.1.a']}": str(targets["II.1.a"]),
                                     f"mode-{ids['II.1.b']}": "same",
                                     f"national-{ids['II.1.b']}": str(targets["II.1.a"])})
    assert refused.status_code == 422
    assert "phần cộng lại" in refused.get_data(as_text=True)
    saved = client.post(url, data={"csrf_token": token,
                                   f"mode-{ids['II.1.a']}": "part",
                                   f"national-{ids['II.1.a']}": str(targets["II.1.a"]),
                                   f"mode-{ids['II.1.b']}": "part",
                                   f"national-{ids['II.1.b']}": str(targets["II.1.a"]),
                                   f"factor-{ids['II.1.b']}": "2",
                                   f"mode-{ids['II.1.e']}": "none"})
    assert saved.status_code == 302
    with system_scope("test"):
        rows = {m.indicator_id: m for m in db.session.scalars(select(IndicatorMapping))}
        assert rows[ids["II.1.b"]].factor == Decimal(2)
        assert rows[ids["II.1.e"]].national_indicator_id is None


def test_the_owner_declares_the_plan_above(national_world, login_as) -> None:
    from tests.conftest import csrf_token

    national = make_framework("BKHCN", text=NATIONAL_PLAN, indicators=NATIONAL)
    own = make_framework("NA", text=PLAN_A, indicators=SETTINGS_A)
    client = login_as("province admin")
    url = f"/frameworks/{own}/mapping"
    html = client.get(url).get_data(as_text=True)
    assert f'<option value="{national}"' in html
    token = csrf_token(client, url)
    assert client.post(f"/frameworks/{own}/parent",
                       data={"csrf_token": token, "parent_id": str(own)}).status_code == 422
    assert client.post(f"/frameworks/{own}/parent",
                       data={"csrf_token": token, "parent_id": str(national)}
                       ).status_code == 302
    with system_scope("test"):
        assert framework(own).parent_id == national


def test_the_national_dashboard(mapped, national_world, login_as) -> None:
    _file(mapped)
    ministry = "/units/BKHCN/national"
    for role in ("ministry leader", "ministry consolidator", "platform"):
        page = login_as(role).get(ministry)
        assert page.status_code == 200, role
        html = page.get_data(as_text=True)
        assert "Tỉnh Bắc A" in html and "Tỉnh Nam B" in html
        assert 'data-testid="national-ranking"' in html
    assert 'data-testid="national-dashboard-link"' in login_as("ministry leader").get(
        "/units/BKHCN").get_data(as_text=True)
    # 12/25 nationally: 48 %
    assert "48 %" in login_as("ministry leader").get(ministry).get_data(as_text=True)
    # the ministry's ordinary dashboard (its plan, the provinces as its children) too
    assert login_as("ministry leader").get("/units/BKHCN/dashboard").status_code == 200
    # a province leader does not see the ministry: not found
    assert login_as("province leader").get(ministry).status_code == 404
    # a province is not a ministry: no national dashboard there
    assert login_as("province leader").get("/units/NA/national").status_code == 404


def test_the_national_plan_is_read_by_the_parser(national_world) -> None:
    """The demo's national plan (a reconstruction of Decision 1703/QĐ-TTg's) loads through
    the parser like any document, its indicators the preset's, and Plan 108 maps onto it
    with no refusal."""
    from portal.data import PLAN_108, PLAN_1703
    from portal.frameworks.loading import load_framework
    from portal.frameworks.presets import NATIONAL_MAPPING_108, PLAN_1703_INDICATORS

    with system_scope("test data"):
        national = load_framework(PLAN_1703.name, PLAN_1703.read_bytes(), "BKHCN",
                                  number="1703/QĐ-TTg", issued_on="31/12/2024",
                                  preset="national-1703", periods="2025-2030", publish=True)
        indicators = _indicators(national.id)
        assert list(indicators) == list(PLAN_1703_INDICATORS)
        assert indicators["II.1.d"].kind == "ratio" and indicators["II.1.a"].kind == "yes_no"
        assert [n.path for n in national.published().nodes if n.depth == 0] == [
            "I", "II", "III", "IV", "V"]
        plan = load_framework(PLAN_108.name, PLAN_108.read_bytes(), "NA", number="108/KH-UBND",
                              issued_on="26/05/2025", preset="plan-108", periods="2025-2030",
                              publish=True)
        set_parent(plan, national)
        own = _indicators(plan.id)
        save_mapping(plan.published(), {
            own[code].id: (mode, indicators[target].id if target else None, factor)
            for code, (mode, target, factor) in NATIONAL_MAPPING_108.items()})
        assert len(db.session.scalars(select(IndicatorMapping)).all()) == 9


def test_a_new_version_keeps_the_mapping(mapped) -> None:
    from portal.frameworks.service import new_draft

    with system_scope("test"):
        draft = new_draft(framework(mapped["NB"]), None)
        copied = {m.indicator_id: m for m in db.session.scalars(select(IndicatorMapping).where(
            IndicatorMapping.version_id == draft.id))}
        codes = {i.id: i.code for i in db.session.scalars(select(Indicator).where(
            Indicator.version_id == draft.id))}
        assert sorted((codes[i], m.mode) for i, m in copied.items()) == [
            ("II.1.a", "part"), ("II.1.b", "part"), ("II.1.c", "numerator"),
            ("II.1.d", "denominator"), ("II.1.e", "none")]


def test_a_cumulative_count_cannot_feed_a_yearly_one(national_world) -> None:
    national = make_framework("BKHCN", text=NATIONAL_PLAN, indicators=NATIONAL)
    own = make_framework("NB", text=PLAN_B, indicators={
        **SETTINGS_B, "II.1.a": {**COUNT, "time_behaviour": "cumulative"}})
    with system_scope("test data"):
        set_parent(framework(own), framework(national))
    messages = _refused({"NB": own, "national": national}, "NB",
                        {"II.1.a": ("same", "II.1.a", None)})
    assert "Cộng dồn cả giai đoạn" in messages[0], messages
