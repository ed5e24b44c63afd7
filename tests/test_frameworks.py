"""Frameworks: from a document to structure, versions, indicators, duties, periods."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.data import PLAN_108
from portal.extensions import db
from portal.frameworks.framework import FrameworkNode, FrameworkVersion
from portal.frameworks.indicator import Indicator
from portal.frameworks.period import ReportingPeriod
from portal.frameworks.presets import PLAN_108_INDICATORS
from portal.frameworks.service import (
    FrameworkError,
    IndicatorInput,
    apply_indicator_settings,
    create_from_document,
    duties_of,
    new_draft,
    publish,
    save_period,
    update_indicator,
    update_meta,
    update_node,
)
from tenants.scoping import Scope, system_scope, use_scope
from tenants.unit import Unit
from tests.builders import framework, make_framework

PLAN = PLAN_108


def unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def nodes_of(version: FrameworkVersion) -> dict[str, FrameworkNode]:
    return {n.path: n for n in db.session.scalars(
        select(FrameworkNode).where(FrameworkNode.version_id == version.id))}


def indicator_input(**changes) -> IndicatorInput:
    values = {"name": "Công chức được đào tạo", "kind": "ratio", "unit_of_measure": "%",
              "time_behaviour": "stock", "aggregation": "ratio_of_sums",
              "numerator_label": "Đã đào tạo", "denominator_label": "Tổng số",
              "target_final": "100", "target_year": "2030",
              "reporting_kinds": ["department", "district"], "yearly": {2026: "50"},
              "note": ""}
    values.update(changes)
    return IndicatorInput(**values)


def test_a_document_becomes_a_draft_with_kinds_indicators_and_duties(world) -> None:
    fid = make_framework("P1", published=False)
    with system_scope("test"):
        version = framework(fid).versions[0]
        assert version.is_draft and version.doc_number == "12/KH-UBND"
        assert version.issued_on.isoformat() == "2026-02-05"
        kinds = {path: n.kind for path, n in nodes_of(version).items()}
        assert kinds["I.1"] == "purpose" and kinds["I.2"] == "requirement"
        assert kinds["II.1"] == "target_group" and kinds["II.1.a"] == "target"
        assert kinds["III.1"] == "task_group" and kinds["III.1.b"] == "task"
        assert kinds["IV"] == "section" and kinds["V.2"] == "responsibility"
        indicators = db.session.scalars(select(Indicator.code).where(
            Indicator.version_id == version.id)).all()
        assert sorted(indicators) == ["II.1.a", "II.1.b"]
        duty_of_dost = [n.path for _f, _v, n in duties_of(unit("P1.SKHCN"))]
    assert duty_of_dost == []  # nothing is in force before it is published


def test_duties_follow_section_v(world) -> None:
    make_framework("P1")
    with system_scope("test"):
        duties = {code: [n.path for _f, _v, n in duties_of(unit(code))]
                  for code in ("P1.SKHCN", "D1", "C11", "QD")}
        responsibility = db.session.scalar(select(FrameworkNode).where(
            FrameworkNode.path == "V.3"))
        from portal.frameworks.responsibility import Responsibility
        v3 = db.session.scalar(select(Responsibility).where(
            Responsibility.node_id == responsibility.id))
    assert duties["P1.SKHCN"] == ["V.1", "V.2", "V.3"]
    assert duties["D1"] == ["V.1", "V.3"]        # a district: by kind and as directly below
    assert duties["C11"] == ["V.1"]              # a commune under a district
    assert duties["QD"] == []                    # another province's plan is not theirs
    assert v3.unmatched == "các Hội cấp tỉnh"     # left for the owner to map


def test_a_published_version_never_changes_and_a_new_draft_copies_it(world) -> None:
    fid = make_framework("P1")
    with system_scope("test"):
        first = framework(fid).versions[0]
        node = nodes_of(first)["III.1.a"]
        with pytest.raises(FrameworkError, match="tạo phiên bản mới"):
            update_node(node, first, "Khác", "Khác", "task")
        draft = new_draft(framework(fid), None)
        with pytest.raises(FrameworkError, match="Đã có một phiên bản dự thảo"):
            new_draft(framework(fid), None)
        copy = nodes_of(draft)["III.1.a"]
        update_node(copy, draft, "", "Nội dung mới.", "task")
        assert nodes_of(first)["III.1.a"].text == "Tổ chức tuyên truyền Chỉ thị số 38-CT/TW."
        assert len(nodes_of(draft)) == len(nodes_of(first))
        publish(draft, None)
        statuses = [v.status for v in framework(fid).versions]
    assert statuses == ["superseded", "published"]


def test_publishing_needs_number_date_and_title(world) -> None:
    fid = make_framework("P1", published=False)
    with system_scope("test"):
        version = framework(fid).versions[0]
        update_meta(version, {"doc_number": "", "issued_on": "", "title": "Kế hoạch"})
        with pytest.raises(FrameworkError) as caught:
            publish(version, None)
        assert len(caught.value.messages) == 2
        with pytest.raises(FrameworkError, match="không phải là ngày"):
            update_meta(version, {"doc_number": "1/KH", "issued_on": "31/02/2026",
                                  "title": "Kế hoạch"})


def test_indicator_semantics_and_targets(world) -> None:
    fid = make_framework("P1", published=False)
    with system_scope("test"):
        version = framework(fid).versions[0]
        item = db.session.scalar(select(Indicator).where(Indicator.code == "II.1.a"))
        update_indicator(item, version, indicator_input())
        assert item.target_final == Decimal("1")          # 100 % kept as a fraction
        assert [(t.year, t.value) for t in item.targets] == [(2026, Decimal("0.5"))]
        assert item.reporting_kinds == "department,district"

        problems = []
        for changes in ({"target_final": "1.234"},            # ambiguous for a ratio
                        {"target_final": "120"},              # a percentage above 100
                        {"target_final": "mười"},             # not a number
                        {"aggregation": "sum"},               # not how a ratio aggregates
                        {"numerator_label": ""},              # a ratio names both parts
                        {"kind": "count", "aggregation": "sum", "target_final": "3,5"}):
            with pytest.raises(FrameworkError) as caught:
                update_indicator(item, version, indicator_input(**changes))
            problems.append(caught.value.messages)
        assert all(len(p) == 1 for p in problems), problems
        assert "mơ hồ" in problems[0][0]
        assert item.target_final == Decimal("1")          # a refused change changes nothing


def test_plan_108_preset(world) -> None:
    with system_scope("test"):
        framework_ = create_from_document(unit("P1"), PLAN.name, PLAN.read_bytes())
        version = framework_.versions[0]
        apply_indicator_settings(version, PLAN_108_INDICATORS)
        indicators = {i.code: i for i in db.session.scalars(select(Indicator).where(
            Indicator.version_id == version.id).order_by(Indicator.position))}
    assert list(indicators) == list(PLAN_108_INDICATORS)
    d = indicators["II.1.d"]
    assert (d.kind, d.aggregation, d.time_behaviour) == ("ratio", "ratio_of_sums", "stock")
    assert indicators["II.1.a"].aggregation == "share_of_expected"
    assert indicators["II.1.i"].aggregation == "none"
    assert indicators["II.1.g"].targets[0].value == 20


def test_periods_have_three_separate_dates(world) -> None:
    fid = make_framework("P1")
    with system_scope("test"):
        fw = framework(fid)
        period = save_period(fw, {"year": "2028", "due_date": "30/11/2028",
                                  "cutoff_date": "31/10/2028", "lock_date": "15/12/2028"})
        assert (period.cutoff_date.day, period.due_date.day, period.lock_date.day) == (31, 30, 15)
        for values, fragment in (
                ({"year": "2029", "due_date": "01/11/2029", "cutoff_date": "15/11/2029"},
                 "trước ngày chốt số liệu"),
                ({"year": "2026", "due_date": "30/11/2026", "cutoff_date": "15/11/2026"},
                 "đã có kỳ báo cáo"),
                ({"year": "hai nghìn", "due_date": "30/11/2029", "cutoff_date": "x"},
                 "không phải là ngày"),
                ({"year": "2029", "due_date": "30/11/2029", "cutoff_date": "15/11/2029",
                  "lock_date": "01/11/2029"}, "khóa sổ")):
            with pytest.raises(FrameworkError) as caught:
                save_period(fw, values)
            assert fragment in " ".join(caught.value.messages), caught.value.messages
        years = db.session.scalars(select(ReportingPeriod.year).where(
            ReportingPeriod.framework_id == fid).order_by(ReportingPeriod.year)).all()
    assert years == [2026, 2027, 2028]


def test_frameworks_are_read_from_below_and_written_only_in_scope(world) -> None:
    from portal.frameworks.framework import Framework

    province = make_framework("P1")
    other = make_framework("Q1")
    commune = Scope(units=frozenset({world.unit_ids["C11"]}))
    with use_scope(commune):
        visible = set(db.session.scalars(select(Framework.id)))
        versions = db.session.scalars(select(FrameworkVersion.framework_id)).all()
    assert visible == {province}
    assert set(versions) == {province}
    with use_scope(Scope(subtree_roots=frozenset({world.unit_ids["Q1"]}))):
        assert set(db.session.scalars(select(Framework.id))) == {other}
    from sqlalchemy.orm.exc import StaleDataError

    from tenants.scoping import OutOfScope
    from tests.conftest import guard_on, on_postgres

    if not guard_on() and not on_postgres():
        return  # no layer left to refuse it (the guard is off, and SQLite has no RLS)
    # The guard refuses the write; without it, RLS lets the UPDATE match no row.
    refused = OutOfScope if guard_on() else StaleDataError
    with use_scope(commune):
        fw = db.session.scalar(select(Framework).where(Framework.id == province))
        fw.name = "Đổi tên từ cấp xã"
        with pytest.raises(refused):
            db.session.flush()
        db.session.rollback()
