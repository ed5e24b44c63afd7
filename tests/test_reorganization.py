"""Reorganization: the real 1 July 2025 mapping (Hưng Yên's 139 communes and Thái Bình's
242 become 104) applied to the legacy tree; history and figures survive; bad mappings
are refused whole."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.accounts.service import create_user, find_user, grant
from portal.audit.entry import AuditEntry
from portal.data import LEGACY_UNITS, REORG_2025_HUNG_YEN
from portal.extensions import db
from portal.frameworks.period import ReportingPeriod
from portal.reorganization import ReorganizationError, apply, check, read_mapping
from portal.reports.aggregate import aggregate
from tenants.lineage import UnitLineage
from tenants.scoping import system_scope
from tenants.tree import import_units, read_unit_csv
from tenants.unit import Unit, UnitClosure
from tests.builders import (
    AGGREGATE_PLAN,
    AGGREGATE_SETTINGS,
    cp1258,
    file_report,
    framework,
    make_framework,
)
from tests.conftest import PASSWORD, csrf_token

MAPPING = REORG_2025_HUNG_YEN
EFFECTIVE = date(2025, 7, 1)


def unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def active_below(code: str, day: date) -> int:
    root = unit(code)
    return db.session.scalar(
        select(func.count(Unit.id)).join(UnitClosure, UnitClosure.descendant_id == Unit.id)
        .where(UnitClosure.ancestor_id == root.id, UnitClosure.depth > 0,
               (Unit.valid_from.is_(None)) | (Unit.valid_from <= day),
               (Unit.valid_to.is_(None)) | (Unit.valid_to > day)))


@pytest.fixture
def legacy(app: Flask) -> int:
    """Legacy Hưng Yên and Thái Bình, Hưng Yên's plan with a 2024 period, and 2024 reports
    of two communes and a district of Hưng Yên."""
    with system_scope("test data"):
        legacy_list = read_unit_csv(LEGACY_UNITS.read_bytes())
        import_units(legacy_list, only="33")
        import_units(legacy_list, only="34")
        db.session.commit()
    fid = make_framework("33", text=AGGREGATE_PLAN, indicators=AGGREGATE_SETTINGS)
    with system_scope("test data"):
        db.session.add(ReportingPeriod(framework_id=fid, owner_unit_id=unit("33").id,
                                       year=2024, due_date=date(2024, 11, 30),
                                       cutoff_date=date(2024, 11, 15)))
        db.session.flush()
        moment = datetime(2024, 11, 20, tzinfo=UTC)
        # 12385 Xã Tân Hưng and 11977 Xã Phương Nam both became the new 11977
        file_report(fid, "12385", 2024, {"II.1.b": {"value": "3"},
                                         "II.1.d": {"numerator": "4", "denominator": "5"}},
                    "accepted", moment)
        file_report(fid, "11977", 2024, {"II.1.b": {"value": "2"},
                                         "II.1.d": {"numerator": "1", "denominator": "5"}},
                    "submitted", moment)
        file_report(fid, "325", 2024, {"II.1.b": {"value": "7"}}, "submitted", moment)
        officer = create_user("canbo.tanhung", PASSWORD)
        grant(officer, unit("12385"), "drafter")
        district_leader = create_user("lanhdao.vanlam", PASSWORD)
        grant(district_leader, unit("325"), "leader")
        db.session.commit()
    return fid


def figures(fid: int, as_now: bool, year: int = 2024) -> dict:
    with system_scope("test"):
        return aggregate(unit("33"), framework(fid), year, as_now=as_now)


def test_the_real_2025_mapping(legacy: int) -> None:
    before = figures(legacy, as_now=False)
    with system_scope("test"):
        assert active_below("33", date(2025, 6, 30)) == 149        # 10 districts, 139 communes
        assert active_below("34", date(2025, 6, 30)) == 250        # 8 districts, 242 communes
        mappings = read_mapping(MAPPING.name, MAPPING.read_bytes())
        assert len(mappings) == 381
        summary = apply(mappings, EFFECTIVE, "33", source=MAPPING.name)
        db.session.commit()
        assert len(summary.created) == 104 and len(summary.closed) == 381
        assert len(summary.closed_above) == 19                        # 18 districts, province 34
        # after: the new province holds the 104 new communes, directly
        assert active_below("33", date(2025, 7, 2)) == 104
        assert active_below("34", date(2025, 7, 2)) == 0
        assert not unit("34").is_active_on(date(2025, 7, 2))
        new = unit("11977")
        assert new.name == "Xã Tân Hưng" and new.parent.code == "33"
        assert new.valid_from == EFFECTIVE
        kept = unit("11977.20250701")                              # the old one, closed
        assert kept.name == "Xã Phương Nam" and kept.valid_to == EFFECTIVE
        assert kept.parent.code == "323"                           # never moved
        predecessors = set(db.session.scalars(select(Unit.code).join(
            UnitLineage, UnitLineage.predecessor_id == Unit.id)
            .where(UnitLineage.successor_id == new.id)))
        assert {"12385", "11977.20250701"} <= predecessors
        assert db.session.scalar(select(func.count()).select_from(UnitLineage)) == 400
        # accounts: the commune officer follows their commune; the district leader is listed
        officer = find_user("canbo.tanhung")
        assert [(m.unit.code, m.role) for m in officer.memberships] == [("11977", "drafter")]
        assert any("lanhdao.vanlam" in line for line in summary.memberships_flagged)
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.object_type == "unit_lineage")) == 400
    # a year before the change, as it was: exactly the figures of before
    assert figures(legacy, as_now=False) == before
    # …and as the province is now: the same reports, counted for their successors
    now = figures(legacy, as_now=True)
    for code in ("II.1.b", "II.1.c", "II.1.d"):                   # sums and ratios of sums
        assert now["indicators"][code] == before["indicators"][code]
    # a share of the units expected: Thái Bình's are expected too, as the province is now
    assert now["indicators"]["II.1.a"]["denominator"] == 149 + 250
    assert now["reporting"]["submitted"] == before["reporting"]["submitted"] == 3
    # expected now includes Thái Bình's communes and districts, open in 2024
    assert now["reporting"]["expected"] == 149 + 250
    children = {c["unit"]: c for c in now["children"]}
    assert len(children) == 104
    assert children["11977"]["reporting"]["submitted"] == 2       # both predecessors
    assert children["11977"]["indicators"]["II.1.b"]["value"] == 5
    assert children["11977"]["indicators"]["II.1.d"]["value"] == 0.5   # (4+1)/(5+5)
    # the district's own report counts for the province itself, not for a commune
    assert sum(c["reporting"]["submitted"] for c in now["children"]) == 2


def mapping_file(rows: list[str]) -> bytes:
    return ("old_district_code,old_district,old_code,old_name,new_code,new_name\n"
            + "".join(r + "\n" for r in rows)).encode()


def test_bad_mappings_are_refused_whole(legacy: int) -> None:
    with system_scope("test"):
        units_before = db.session.scalar(select(func.count(Unit.id)))
        mappings = read_mapping("m.csv", mapping_file([
            "323,x,99999,Xã Không Có,11977,Xã Tân Hưng",          # unknown old unit
            "323,x,12385,Xã Tân Hưng,11977,Xã Tân Hưng",
            "323,x,12385,Xã Tân Hưng,11980,Phường Hồng Châu",     # mapped twice
            "323,x,12388,Xã Hoàng Hanh,11977,Xã Tân Hưng Mới",    # 11977 named twice
            "323,x,33,Tỉnh Hưng Yên,12000,Xã Vòng",               # into its own descendant
            "323,x,11959,Phường Lê Lợi,34,Tỉnh Thái Bình",        # a code held elsewhere
        ]))
        found = check(mappings, EFFECTIVE, "33")
        for code in ("99999", "12385", "11977", "34"):   # a problem names each
            assert any(code in problem for problem in found), code
        assert any("33" in p and "12000" not in p and "11977" not in p for p in found)
        assert len(found) >= 6
        with pytest.raises(ReorganizationError):
            apply(mappings, EFFECTIVE, "33")
        db.session.rollback()
        assert db.session.scalar(select(func.count(Unit.id))) == units_before
        assert "NOPE" in check(mappings, EFFECTIVE, "NOPE")[0]


def test_an_effective_date_before_submitted_reports_is_refused(legacy: int) -> None:
    with system_scope("test"):
        mappings = read_mapping("m.csv", mapping_file(
            ["323,x,12385,Xã Tân Hưng,12385,Xã Tân Hưng"]))        # keeps its code
        problems = check(mappings, date(2024, 7, 1), "33")     # the 2024 report came later
        assert len(problems) == 1 and "12385" in problems[0] and "2024" in problems[0]
        assert check(mappings, EFFECTIVE, "33") == []


def test_a_windows_1258_mapping_reads_the_same(legacy: int) -> None:

    text = ("old_code,new_code,new_name\n12385,11977,Xã Tân Hưng\n")
    with system_scope("test"):
        plain = read_mapping("m.csv", text.encode())
        windows = read_mapping("m.csv", cp1258(text))
        assert [m.new_name for m in windows] == [m.new_name for m in plain] == ["Xã Tân Hưng"]


def test_the_operator_reorganizes_after_a_dry_run(legacy: int, login_as) -> None:
    operator = login_as("platform")
    token = csrf_token(operator, "/auth/password")
    dry = operator.post("/admin/reorganize/", data={
        "csrf_token": token, "effective": "01/07/2025", "parent": "33",
        "file": (io.BytesIO(MAPPING.read_bytes()), MAPPING.name)})
    assert dry.status_code == 200, dry.get_data(as_text=True)[:300]
    html = dry.get_data(as_text=True)
    assert 'data-testid="reorg-summary"' in html and "104" in html
    with system_scope("test"):
        assert unit("34").valid_to is None                        # a dry run changes nothing
    carried = re.search(r'name="carried" value="([^"]+)"', html).group(1)
    done = operator.post("/admin/reorganize/", data={
        "csrf_token": token, "effective": "01/07/2025", "parent": "33",
        "carried": carried, "filename": MAPPING.name, "confirm": "yes"})
    assert done.status_code == 200
    with system_scope("test"):
        assert unit("34").valid_to == EFFECTIVE
    again = operator.post("/admin/reorganize/", data={
        "csrf_token": token, "effective": "01/07/2025", "parent": "33",
        "carried": carried, "filename": MAPPING.name, "confirm": "yes"})
    assert again.status_code == 422                               # nothing left to close
    bad_date = operator.post("/admin/reorganize/", data={
        "csrf_token": token, "effective": "31/06/2025", "parent": "33",
        "file": (io.BytesIO(MAPPING.read_bytes()), MAPPING.name)})
    assert bad_date.status_code == 422 and "31/06/2025" in bad_date.get_data(as_text=True)


def test_the_command_line_dry_run_changes_nothing(app: Flask, legacy: int) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["units", "reorganize", str(MAPPING), "--effective",
                                 "01/07/2025", "--parent", "33", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output and "104 units created" in result.output
    with system_scope("test"):
        assert unit("34").valid_to is None


def test_the_new_province_reads_what_was_merged_into_it(legacy: int) -> None:
    """After the merge, Hưng Yên's leaders read Thái Bình's old reports (they count for its
    communes as the province is now); nobody else gains anything."""
    from portal.reports.report import UnitReport
    from tenants.scoping import Scope, use_scope

    with system_scope("test"):
        file_report(legacy, "12841", 2024, {"II.1.b": {"value": "11"}}, "submitted",
                    datetime(2024, 11, 20, tzinfo=UTC))             # a Thái Bình commune
        report_id = db.session.scalar(select(UnitReport.id).join(Unit).where(
            Unit.code == "12841"))
        province, other = unit("33").id, unit("34").id
        apply(read_mapping(MAPPING.name, MAPPING.read_bytes()), EFFECTIVE, "33")
        db.session.commit()
        fw = framework(legacy)
    with use_scope(Scope(subtree_roots=frozenset({province}))):
        assert db.session.scalar(select(UnitReport.id).where(UnitReport.id == report_id))
        root = db.session.scalar(select(Unit).where(Unit.id == province))
        now = aggregate(root, db.session.get(type(fw), fw.id), 2024, as_now=True)
        assert now["indicators"]["II.1.b"]["value"] == 3 + 2 + 7 + 11
        was = aggregate(root, db.session.get(type(fw), fw.id), 2024, as_now=False)
        assert was["indicators"]["II.1.b"]["value"] == 3 + 2 + 7   # Hưng Yên as it was
    with use_scope(Scope(units=frozenset({other}))):              # old Thái Bình, alone
        assert db.session.scalar(select(UnitReport.id).where(UnitReport.id == report_id)) \
            is None


def test_the_demo_applies_the_real_mapping(app: Flask) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed", "--legacy"]).exit_code == 0
    result = runner.invoke(args=["demo", "reorganize"])
    assert result.exit_code == 0, result.output
    assert "104 units created, 381 closed, 19 units above closed" in result.output
    assert "lanhdao.huyen: leader @ 325" in result.output            # flagged, not moved
    with system_scope("test"):
        assert active_below("33", date(2026, 1, 1)) == 104 + 9     # communes and the bodies
        officer = find_user("canbo.xa")                            # Xã Lạc Đạo's officer
        assert [m.unit.valid_to for m in officer.memberships] == [None]
    again = runner.invoke(args=["demo", "reorganize"])           # nothing left to map
    assert again.exit_code == 1 and "already applied" in again.output


def test_communes_merged_into_an_existing_unit(legacy: int) -> None:
    """After 2025, Hưng Yên has two tiers: merging two communes into a third that goes on."""
    with system_scope("test"):
        apply(read_mapping(MAPPING.name, MAPPING.read_bytes()), EFFECTIVE, "33")
        db.session.commit()
        later = date(2027, 1, 1)
        keeper = unit("11980")                          # Phường Hồng Châu goes on
        mappings = read_mapping("m.csv", mapping_file([
            "33,x,11977,Xã Tân Hưng,11980,Phường Hồng Châu",
            "33,x,11953,Phường Phố Hiến,11980,Phường Hồng Châu",
        ]))
        summary = apply(mappings, later, "33")
        db.session.commit()
        assert summary.created == [] and len(summary.closed) == 2
        assert unit("11980").id == keeper.id and unit("11980").valid_to is None
        assert not unit("11977").is_active_on(later)
        # the 2025 predecessors of 11977 now point to 11980 too (carried through)
        successors = set(db.session.scalars(select(UnitLineage.successor_id).where(
            UnitLineage.predecessor_id == unit("12385").id)))
        assert keeper.id in successors
        # an existing unit outside the new parent cannot take others in
        problems = check(read_mapping("m.csv", mapping_file(
            ["33,x,12841,Xã Y,34,Tỉnh Thái Bình"])), later, "33")   # closed, not under 33
        assert any("34" in p for p in problems)
