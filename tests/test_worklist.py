"""Who acts next (issue 16): the reviewer's worklist, the statuses of the units below on the
reports page, the home page's "what to do now", the units that have not reported and the
reminders sent to them by hand (once, recorded, only to units in reach).

Dates are set with ``clock.frozen_at``; the 2026 period is due on 30/11/2026."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import clock
from portal.accounts.service import create_user, grant
from portal.accounts.user import User
from portal.extensions import db
from portal.notifications.manual_reminder import ManualReminder, ManualReminderUnit
from portal.notifications.notification import Notification
from portal.plans.service import start_plan
from tenants.scoping import system_scope
from tenants.tree import add_unit
from tenants.unit import Unit
from tests.builders import LATE, ON_TIME, file_status, framework, make_framework, read_mail
from tests.conftest import PASSWORD, csrf_token, login

DEC_5 = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)       # 10:00 on 5/12 in Hà Nội


def text_of(html: str) -> str:
    """The page's text, tags dropped and spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def row(html: str, testid: str) -> str:
    """The text of the table row with ``data-testid=testid``."""
    match = re.search(rf'<tr data-testid="{re.escape(testid)}">(.*?)</tr>', html, re.S)
    assert match, f"no row {testid}"
    return text_of(match.group(1))


def unit_id(code: str) -> int:
    with system_scope("test"):
        return db.session.scalar(select(Unit.id).where(Unit.code == code))


@pytest.fixture
def fid(world) -> int:
    """Province P1's plan (periods 2026 and 2027), and province Q1's with a report of QD
    submitted (which P1's people must never see)."""
    other = make_framework("Q1")
    with system_scope("test data"):
        file_status(other, "QD", 2026, "submitted", ON_TIME)
        db.session.commit()
    return make_framework("P1")


def statuses(fid: int, **reports) -> dict[str, int]:
    """File reports: code -> (status, submitted[, times, reason]); their ids by code."""
    ids = {}
    with system_scope("test data"):
        for code, (status, submitted, *more) in reports.items():
            times = more[0] if more else 1
            reason = more[1] if len(more) > 1 else ""
            ids[code] = file_status(fid, code.replace("_", "."), 2026, status, submitted,
                                    times=times, reason=reason)
        db.session.commit()
    return ids


# ---- the named bug: a district's reviewer saw its communes with no status -------------------

def test_the_reports_page_shows_each_unit_below_and_its_status(fid, login_as) -> None:
    statuses(fid, C11=("submitted", ON_TIME))
    page = login_as("reviewer").get("/units/D1/reports").get_data(as_text=True)
    assert "Đã gửi" in row(page, "below-C11")
    assert "Chưa lập" in row(page, "below-C12")           # no report yet
    assert 'data-testid="missing-link"' in page

    statuses(fid, C12=("with_head", None))
    page = login_as("reviewer").get("/units/D1/reports").get_data(as_text=True)
    assert "Đã trình lãnh đạo" in row(page, "below-C12")
    # a drafter sees the unit's own reports only, not the units below
    assert "below-C11" not in login_as("drafter").get("/units/D1/reports").get_data(
        as_text=True)


def test_a_province_reviewer_sees_its_departments_and_districts(fid, login_as,
                                                                province_reviewer) -> None:
    statuses(fid, D2=("returned", ON_TIME, 2, "Thiếu số liệu"), P1_SKHCN=("accepted", ON_TIME))
    page = login_as(province_reviewer).get("/units/P1/reports").get_data(as_text=True)
    assert "Bị trả lại" in row(page, "below-D2")
    assert "Chưa lập" in row(page, "below-D1")
    assert "below-C11" not in page and "below-QD" not in page    # directly below only


# ---- the worklist ---------------------------------------------------------------------------

def test_the_worklist_lists_what_waits_oldest_first_with_its_marks(
        fid, login_as, province_reviewer) -> None:
    statuses(fid, D1=("submitted", ON_TIME, 2), C11=("submitted", LATE),
             D2=("returned", ON_TIME, 1, "Thiếu"), C21=("accepted", ON_TIME),
             C12=("draft", None))
    client = login_as(province_reviewer)
    with clock.frozen_at(DEC_5):
        page = client.get("/review").get_data(as_text=True)
    rows = re.findall(r'<tr data-testid="worklist-row">(.*?)</tr>', page, re.S)
    assert [re.search(r'<a href="/reports/\d+">([^<]+)</a>', r).group(1) for r in rows] == \
        ["Huyện Một", "Xã Một Một"]          # 20/11 before 1/12; returned, accepted, draft not
    first, second = (text_of(r) for r in rows)
    assert "20/11/2026 10:00" in first and " 15 " in first and "Gửi lại" in first
    assert "Gửi muộn" not in first
    assert "01/12/2026 00:30" in second and " 4 " in second and "Gửi muộn" in second
    assert "Gửi lại" not in second
    assert "Huyện Khác" not in page                              # another province's
    assert 'data-testid="waiting-count">2<' in page              # the header's badge

    # by branch: C11 is in D1's branch
    d1 = client.get(f"/review?child={unit_id('D1')}").get_data(as_text=True)
    assert d1.count('data-testid="worklist-row"') == 2
    d2 = client.get(f"/review?child={unit_id('D2')}").get_data(as_text=True)
    assert d2.count('data-testid="worklist-row"') == 0 and "Không có báo cáo nào" in d2
    accepted = client.get(f"/review?status=accepted&child={unit_id('D2')}").get_data(
        as_text=True)
    assert accepted.count('data-testid="worklist-row"') == 1 and "Xã Hai Một" in accepted
    returned = client.get("/review?status=returned").get_data(as_text=True)
    assert "Huyện Hai" in returned and "Xã Một Một" not in returned
    # a child out of the filter's choices (another province's) filters nothing
    forged = client.get(f"/review?child={unit_id('QD')}").get_data(as_text=True)
    assert forged.count('data-testid="worklist-row"') == 2 and "Huyện Khác" not in forged
    # one click opens the report
    assert re.search(r'<a href="/reports/\d+">Huyện Một</a>', page)


def test_a_district_reviewer_sees_its_communes_only(fid, login_as) -> None:
    statuses(fid, D1=("submitted", ON_TIME), C11=("submitted", LATE),
             C21=("submitted", ON_TIME))
    page = login_as("reviewer").get("/review").get_data(as_text=True)
    assert page.count('data-testid="worklist-row"') == 1 and "Xã Một Một" in page
    assert "Huyện Một</a>" not in page                       # its own unit's report: not its


def test_the_worklist_is_for_reviewers(login_as, fid) -> None:
    assert login_as("drafter").get("/review").status_code == 403
    assert 'data-testid="worklist-link"' not in login_as("drafter").get(
        "/units/D1").get_data(as_text=True)
    assert 'data-testid="worklist-link"' in login_as("consolidator").get(
        "/units/D1").get_data(as_text=True)


def test_the_worklist_does_not_grow_in_queries_with_the_reports(
        app: Flask, fid, login_as, province_reviewer, count_queries) -> None:
    statuses(fid, D1=("submitted", ON_TIME, 2), C11=("submitted", LATE))
    client = login_as(province_reviewer)
    before = count_queries(lambda: client.get("/review"))
    with system_scope("test data"):
        for i in range(28):
            add_unit(f"CX{i}", f"Xã Thử {i}", "commune", "D1" if i % 2 else "D2")
        db.session.flush()
        for i in range(28):
            file_status(fid, f"CX{i}", 2026, "submitted", ON_TIME, times=1 + i % 2)
        db.session.commit()
    after = count_queries(lambda: client.get("/review"))
    page = client.get("/review").get_data(as_text=True)
    assert page.count('data-testid="worklist-row"') == 30
    assert after == before, f"{before} queries for 2 reports, {after} for 30"


# ---- what to do now -------------------------------------------------------------------------

def todo(client, code: str = "D1") -> str:
    html = client.get(f"/units/{code}").get_data(as_text=True)
    match = re.search(r'<ul[^>]*data-testid="todo">(.*?)</ul>', html, re.S)
    return text_of(match.group(1)) if match else ""


@pytest.mark.parametrize(("moment", "said"), [
    (datetime(2026, 11, 25, 3, 0, tzinfo=UTC), "Báo cáo năm 2026: còn 5 ngày"),
    (datetime(2026, 11, 29, 18, 0, tzinfo=UTC), "Báo cáo năm 2026: hạn hôm nay"),  # 01:00 30/11
    (datetime(2026, 12, 3, 3, 0, tzinfo=UTC), "Báo cáo năm 2026: quá hạn 3 ngày"),
])
def test_the_unit_page_says_how_long_is_left(fid, login_as, moment, said) -> None:
    client = login_as("drafter")
    with clock.frozen_at(moment):
        items = todo(client)
    assert said in items
    assert "Chưa có kế hoạch" in items


def test_the_unit_page_says_where_the_report_and_plan_stand(fid, login_as) -> None:
    drafter, head = login_as("drafter"), login_as("head")
    ids = statuses(fid, D1=("returned", ON_TIME, 1, "Thiếu số liệu chỉ tiêu II.1.b"))
    with clock.frozen_at(DEC_5):
        assert "Báo cáo năm 2026 bị trả lại: Thiếu số liệu chỉ tiêu II.1.b" in todo(drafter)
        html = drafter.get("/units/D1").get_data(as_text=True)
    assert f'href="/reports/{ids["D1"]}"' in html                  # where to act
    for status, as_drafter, as_head in [
            ("with_head", "đã trình lãnh đạo, chờ gửi", "đã trình lãnh đạo, chờ đồng chí gửi"),
            ("submitted", "đã gửi, chờ xem xét", "đã gửi, chờ xem xét"),
            ("accepted", "đã được chấp nhận", "đã được chấp nhận")]:
        with system_scope("test"):
            db.session.execute(db.text("UPDATE unit_report SET status = :s, version = "
                                       "version + 1 WHERE id = :i"),
                               {"s": status, "i": ids["D1"]})
            db.session.commit()
        assert f"Báo cáo năm 2026 {as_drafter}" in todo(drafter), status
        assert f"Báo cáo năm 2026 {as_head}" in todo(head), status
    with system_scope("test"):
        unit = db.session.scalar(select(Unit).where(Unit.code == "D1"))
        start_plan(unit, framework(fid), None).revisions[-1].status = "submitted"
        db.session.commit()
    assert "Kế hoạch chờ ban hành" in todo(head)


def test_a_reviewer_is_told_how_many_reports_wait(fid, login_as) -> None:
    statuses(fid, C11=("submitted", ON_TIME), C12=("submitted", LATE))
    client = login_as("reviewer")
    assert "2 báo cáo chờ xem xét" in todo(client)
    assert 'href="/review"' in client.get("/units/D1").get_data(as_text=True)


def test_home_lists_what_to_do_in_each_unit(app: Flask, fid) -> None:
    with system_scope("test data"):
        user = create_user("u.two", PASSWORD)
        for code in ("D1", "D2"):
            grant(user, db.session.scalar(select(Unit).where(Unit.code == code)), "drafter")
        db.session.commit()
    statuses(fid, D2=("submitted", ON_TIME))
    client = app.test_client()
    login(client, "u.two")
    with clock.frozen_at(datetime(2026, 11, 25, 3, 0, tzinfo=UTC)):
        page = text_of(client.get("/").get_data(as_text=True))
    assert "Báo cáo năm 2026: còn 5 ngày" in page                  # D1
    assert "Báo cáo năm 2026 đã gửi, chờ xem xét" in page           # D2


# ---- units that have not reported, and reminders by hand ------------------------------------

@pytest.fixture
def mailbox(mailbox: Path, app: Flask, monkeypatch) -> Path:
    """conftest's mailbox, in the embedded mode: the e-mail jobs run here."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    return mailbox


def mails(folder: Path) -> list[str]:
    return [to for to, _subject, _body in read_mail(folder)]


@pytest.fixture
def c12_people(fid):
    """A drafter (e-mails on) and a head (e-mails off) of commune C12."""
    with system_scope("test data"):
        c12 = db.session.scalar(select(Unit).where(Unit.code == "C12"))
        drafter = create_user("u.c12.drafter", PASSWORD, email="c12@example.vn")
        head = create_user("u.c12.head", PASSWORD, email="c12head@example.vn")
        head.email_delivery = "none"
        grant(drafter, c12, "drafter")
        grant(head, c12, "head")
        db.session.commit()


def form_key(html: str) -> str:
    return re.search(r'name="key" value="([^"]+)"', html).group(1)


def manual_notices() -> list[tuple[str, str]]:
    with system_scope("test"):
        return list(db.session.execute(
            select(User.username, Notification.step).join(User, User.id == Notification.user_id)
            .where(Notification.step.like("m%")).order_by(User.username)).tuples())


def test_a_reviewer_reminds_the_units_that_have_not_reported_once(
        fid, c12_people, login_as, mailbox) -> None:
    statuses(fid, C11=("submitted", ON_TIME), C12=("draft", None))
    client = login_as("reviewer")
    with clock.frozen_at(DEC_5):
        page = client.get("/units/D1/missing").get_data(as_text=True)
        assert "Đang soạn" in row(page, "missing-C12") and "missing-C11" not in page
        token, key = csrf_token(client, "/units/D1/missing"), form_key(page)
        form = {"csrf_token": token, "period_id": re.search(
            r'name="period_id" value="(\d+)"', page).group(1), "key": key,
            "unit_id": str(unit_id("C12")), "message": "Đề nghị gửi trước 10/12."}
        sent = client.post("/units/D1/missing", data=form)
        assert sent.status_code == 303
        assert "Đã gửi nhắc nhở tới: Xã Ân Thi Một" in client.get(
            sent.headers["Location"]).get_data(as_text=True)
        with system_scope("test"):
            reminder = db.session.scalar(select(ManualReminder))
        assert manual_notices() == [("u.c12.drafter", f"m{reminder.id}"),
                                    ("u.c12.head", f"m{reminder.id}")]
        assert mails(mailbox) == ["c12@example.vn"]              # the head turned e-mail off

        again = client.post("/units/D1/missing", data=form)     # the same form, twice
        assert "Nhắc nhở này đã được gửi" in client.get(
            again.headers["Location"]).get_data(as_text=True)
        fresh = client.get("/units/D1/missing").get_data(as_text=True)
        assert "05/12/2026 10:00" in row(fresh, "missing-C12")   # last reminded
        later = client.post("/units/D1/missing", data={**form, "key": form_key(fresh)})
        assert "Đã được nhắc trong hôm nay, không gửi lại: Xã Ân Thi Một" in client.get(
            later.headers["Location"]).get_data(as_text=True)
        assert len(manual_notices()) == 2 and len(mails(mailbox)) == 1
        history = client.get("/units/D1/missing").get_data(as_text=True)
    assert re.search(r"Người reviewer → Xã Ân Thi Một.*05/12/2026 10:00.*Đề nghị gửi trước",
                     text_of(history))
    with system_scope("test"):
        assert db.session.scalar(select(func.count(ManualReminder.id))) == 1
        assert db.session.scalar(select(func.count(ManualReminderUnit.id))) == 1

    with clock.frozen_at(datetime(2026, 12, 6, 3, 0, tzinfo=UTC)):   # the next day: again
        page = client.get("/units/D1/missing").get_data(as_text=True)
        client.post("/units/D1/missing", data={**form, "key": form_key(page)})
    assert len(manual_notices()) == 4


def test_a_unit_out_of_reach_cannot_be_reminded(fid, login_as) -> None:
    client = login_as("reviewer")
    page = client.get("/units/D1/missing").get_data(as_text=True)
    form = {"csrf_token": csrf_token(client, "/units/D1/missing"), "key": form_key(page),
            "period_id": re.search(r'name="period_id" value="(\d+)"', page).group(1)}
    for forged in (unit_id("QC"), unit_id("C21"), unit_id("D1"), "abc"):
        response = client.post("/units/D1/missing", data={**form, "unit_id": [
            str(unit_id("C12")), str(forged)]})
        assert response.status_code == 404, forged
    assert manual_notices() == []
    empty = client.post("/units/D1/missing", data=form)            # nothing chosen
    assert "Hãy chọn các đơn vị cần nhắc" in client.get(
        empty.headers["Location"]).get_data(as_text=True)


def test_the_province_sees_who_has_not_reported_level_by_level(
        fid, login_as, province_reviewer) -> None:
    statuses(fid, C11=("submitted", ON_TIME), D2=("returned", ON_TIME, 1, "Thiếu"))
    page = login_as(province_reviewer).get("/units/P1/missing").get_data(as_text=True)
    order = [page.index(f'data-testid="missing-{code}"')
             for code in ("P1.SKHCN", "D1", "D2", "C12", "C21")]
    assert order == sorted(order)     # departments by name, districts, communes by code
    assert "Bị trả lại" in row(page, "missing-D2") and "Huyện Hai" in row(page, "missing-C21")
    assert "missing-C11" not in page and "QC" not in page and "Xã Khác" not in page
    assert "5 đơn vị phải báo cáo năm 2026 chưa gửi báo cáo" in text_of(page)


def test_the_missing_page_is_for_reviewers(fid, login_as) -> None:
    assert login_as("leader").get("/units/D1/missing").status_code == 403
    assert login_as("drafter").get("/units/D1/missing").status_code == 403
    assert login_as("reviewer").get("/units/QD/missing").status_code == 404
    assert login_as("reviewer").get("/units/P1/missing").status_code == 404
