"""The unit tree: imports of the official lists, the closure table, bad input."""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import func, select

from portal.data import LEGACY_UNITS, UNITS_2025
from portal.extensions import db
from tenants.scoping import system_scope
from tenants.tree import TreeError, add_unit, import_units, read_unit_csv, search_subtree
from tenants.unit import Unit, UnitClosure

HEADER = "code,name,type,level,parent_code\n"


def run_import(csv_text: str | bytes, **options):
    data = csv_text.encode() if isinstance(csv_text, str) else csv_text
    with system_scope("test import"):
        return import_units(read_unit_csv(data), **options)


def count(model) -> int:
    with system_scope("test count"):
        return db.session.scalar(select(func.count()).select_from(model))


def problems_of(csv_text: str | bytes, **options) -> list[str]:
    before = (count(Unit), count(UnitClosure))
    with pytest.raises(TreeError) as caught:
        run_import(csv_text, **options)
    # No rollback here: a refused import must not have written anything to undo.
    assert (count(Unit), count(UnitClosure)) == before, "nothing may be half-imported"
    return caught.value.messages


def test_import_builds_the_closure_table() -> None:
    result = run_import(HEADER + "C1,Xã Một,xã,3,D\nP,Tỉnh,tỉnh,1,\nD,Huyện,huyện,2,P\n")
    assert result.created == 3  # children before parents in the file are fine
    with system_scope("test"):
        pairs = set(db.session.execute(
            select(UnitClosure.ancestor_id, UnitClosure.descendant_id, UnitClosure.depth)))
        ids = {u.code: u.id for u in db.session.scalars(select(Unit))}
        kinds = {u.code: u.kind for u in db.session.scalars(select(Unit))}
    p, d, c = ids["P"], ids["D"], ids["C1"]
    assert pairs == {(p, p, 0), (d, d, 0), (c, c, 0), (p, d, 1), (d, c, 1), (p, c, 2)}
    assert kinds == {"P": "province", "D": "district", "C1": "commune"}


def test_reimport_is_idempotent_and_import_under_an_existing_unit() -> None:
    text = HEADER + "P,Tỉnh,tỉnh,1,\nD,Huyện,huyện,2,P\n"
    run_import(text)
    again = run_import(text)
    assert (again.created, again.unchanged) == (0, 2)
    more = run_import(HEADER + "C9,Xã Chín,xã,3,D\n")
    assert more.created == 1
    with system_scope("test"):
        d = db.session.scalar(select(Unit).where(Unit.code == "D"))
        assert [u.code for u in search_subtree(d, "xa chin")] == ["C9"]


def test_under_and_only_options() -> None:
    run_import(HEADER + "VN,Quốc gia,tỉnh,1,\n")
    country = (HEADER + "01,Thành phố Hà Nội,thành phố trung ương,1,\n"
               "001,Quận Ba Đình,quận,2,01\n33,Tỉnh Hưng Yên,tỉnh,1,\n"
               "325,Huyện Văn Lâm,huyện,2,33\n11989,Xã Lạc Đạo,xã,3,325\n")
    result = run_import(country, only="33", under="VN")
    assert sorted(result.created_codes) == ["11989", "325", "33"]
    with system_scope("test"):
        hy = db.session.scalar(select(Unit).where(Unit.code == "33"))
        assert hy.parent.code == "VN"


def test_names_are_stored_composed_and_found_however_typed() -> None:
    decomposed = unicodedata.normalize("NFD", "Xã Ân Thi")
    assert decomposed != "Xã Ân Thi"
    run_import(HEADER + f"P,Tỉnh,tỉnh,1,\nC,  {decomposed} ,xã,2,P\n")
    with system_scope("test"):
        unit = db.session.scalar(select(Unit).where(Unit.code == "C"))
        assert unit.name == "Xã Ân Thi"
        root = unit.parent
        for query in ("ân thi", "AN THI", unicodedata.normalize("NFD", "ÂN"), "C"):
            assert [u.code for u in search_subtree(root, query)] == ["C"], query


def test_bad_rows_are_all_reported_and_nothing_is_written() -> None:
    text = (HEADER
            + "P,Tỉnh,tỉnh,1,\n"
            + "A1,Xã A,xã,3,P\n"
            + "A1,Xã A lặp,xã,3,P\n"            # duplicate code
            + "B1,Xã B,làng,3,P\n"              # unknown type
            + "C1,Xã C,xã,3,NOWHERE\n"          # unknown parent
            + f"D1,{'X' * 300},xã,3,P\n"        # over-long name
            + "E 1,Xã E,xã,3,P\n"               # bad code
            + "F1,,xã,3,P\n"                    # empty name
            + "G1,Xã G,xã,ba,P\n"               # level not a number
            + "H1,Xã H,xã,3,P,extra\n")         # too many fields
    problems = problems_of(text)
    joined = "\n".join(problems)
    for line in (4, 5, 6, 7, 8, 9, 10, 11):
        assert f"dòng {line}:" in joined, (line, joined)
    assert "trùng với dòng 3" in joined
    assert "NOWHERE" in joined
    assert "300 ký tự" in joined


def test_cycles_are_refused() -> None:
    problems = problems_of(HEADER + "A,Xã A,xã,3,B\nB,Xã B,xã,3,A\nC,Xã C,xã,3,C\n")
    joined = "\n".join(problems)
    assert "vòng lặp" in joined
    assert "cấp trên của chính nó" in joined


def test_existing_code_with_another_parent_is_refused() -> None:
    run_import(HEADER + "P,Tỉnh,tỉnh,1,\nQ,Tỉnh Khác,tỉnh,1,\nD,Huyện,huyện,2,P\n")
    problems = problems_of(HEADER + "D,Huyện,huyện,2,Q\n")
    assert "đã tồn tại" in problems[0]


def test_file_problems() -> None:
    # "Xã" in Windows-1258, as Vietnamese offices often save CSV files
    assert "UTF-8" in problems_of(b"code,name,type,level,parent_code\nA,Xa\xde,xa\xde,3,\n")[0]
    assert "parent_code" in problems_of("code,name,type\nA,Xã,xã\n")[0]
    # a BOM is fine
    assert run_import("\ufeff" + HEADER + "P,Tỉnh,tỉnh,1,\n").created == 1


def test_add_unit_validates() -> None:
    run_import(HEADER + "P,Tỉnh,tỉnh,1,\n")
    with system_scope("test"):
        with pytest.raises(TreeError) as caught:
            add_unit("P", "Trùng", "department", "P")
        assert "đã được sử dụng" in caught.value.messages[0]
        with pytest.raises(TreeError) as caught:
            add_unit("X", "Sở", "ministry", "NOPE")
        assert len(caught.value.messages) == 2
        unit = add_unit("P.SKHCN", "Sở Khoa học và Công nghệ", "department", "P")
        depth = db.session.scalar(select(func.max(UnitClosure.depth))
                                  .where(UnitClosure.descendant_id == unit.id))
    assert depth == 1


def test_whole_legacy_country_imports() -> None:
    result = run_import(LEGACY_UNITS.read_bytes())
    assert result.created == 63 + 696 + 10051
    with system_scope("test"):
        by_kind = dict(db.session.execute(
            select(Unit.kind, func.count()).group_by(Unit.kind)).tuples().all())
        hung_yen = db.session.scalar(select(Unit.id).where(Unit.code == "33"))
        below = db.session.scalar(select(func.count()).select_from(UnitClosure).where(
            UnitClosure.ancestor_id == hung_yen, UnitClosure.depth > 0))
    assert by_kind == {"province": 63, "district": 696, "commune": 10051}
    assert below == 10 + 139


def test_2025_structure_imports() -> None:
    result = run_import(UNITS_2025.read_bytes())
    assert result.created == 34 + 3321
