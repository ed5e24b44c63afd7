"""Notices of the report's workflow steps (issue 16 item 3): who is told of each step (never
the person who acted), inside the step's own unit of work, the reason in the returned
notice and its e-mail, e-mail at once after the commit (through the queue), the daily
digest and its exception for reports sent back, no e-mail for those who chose none, the
tenant guard on the page, the settings form, the command and the migration of the old
on/off choice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text

from portal import clock
from portal.accounts.service import find_user
from portal.accounts.user import User
from portal.extensions import db
from portal.notifications.notification import Notification
from portal.notifications.workflow import DIGEST, send_digest
from portal.reports.report import ReportTransition, UnitReport
from portal.reports.service import ReportError, run_transition
from portal.unit_of_work import unit_of_work
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.builders import read_mail
from tests.conftest import csrf_token

REVIEWER = "u.p1.reviewer"
MORNING = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)     # 09:00 in Hà Nội


def told() -> list[tuple[str, str]]:
    """(recipient, step) of every workflow notice, in order."""
    with system_scope("test"):
        return list(db.session.execute(
            select(User.username, ReportTransition.action).select_from(Notification)
            .join(User, User.id == Notification.user_id)
            .join(ReportTransition, ReportTransition.id == Notification.transition_id)
            .where(Notification.kind == "workflow").order_by(Notification.id)).tuples())


@pytest.fixture
def loop(app: Flask, report_id: int, province_reviewer: str, mailbox: Path, monkeypatch):
    """D1's report with every task given a status, ready to submit; addresses for all."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)   # embedded: jobs run in-process
    with system_scope("test"):
        for name in ("u.drafter", "u.head", "u.reviewer", "u.consolidator", REVIEWER):
            find_user(name).email = f"{name[2:]}@example.vn"
        for task in db.session.get(UnitReport, report_id).tasks:
            task.status = "done_on_time"
        db.session.commit()
    return report_id


def act(report_id: int, action: str, username: str, reason: str = "") -> None:
    """Take a step through the real service, in a unit of work as a view does."""
    with system_scope("test"), clock.frozen_at(MORNING):
        user_id = find_user(username).id
        with unit_of_work():
            run_transition(db.session.get(UnitReport, report_id), action, user_id, reason)


def prefer(**choices: str) -> None:
    with system_scope("test"):
        for name, choice in choices.items():
            find_user(f"u.{name}").email_delivery = choice
        db.session.commit()


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/auth/password"), **data})


def test_each_step_tells_the_right_people_and_never_the_one_who_acted(
        loop: int, login_as, mailbox: Path) -> None:
    drafter, head, reviewer = login_as("drafter"), login_as("head"), login_as("province reviewer")
    base = f"/reports/{loop}/transitions"
    assert post(drafter, base, action="hand_over").status_code == 302      # trình
    assert told() == [("u.head", "hand_over")]
    assert post(head, base, action="submit").status_code == 302            # the head submits
    # the level receiving it (the province), not D1's own reviewer or consolidator
    assert told()[1:] == [(REVIEWER, "submit")]
    assert post(reviewer, base, action="return", reason="Thiếu số liệu II.1.b").status_code == 302
    assert told()[2:] == [("u.drafter", "return"), ("u.head", "return")]
    assert post(head, base, action="submit").status_code == 302            # the head again
    assert told()[4:] == [(REVIEWER, "submit")]
    assert post(reviewer, base, action="accept").status_code == 302
    assert post(reviewer, base, action="reopen", reason="Sửa số lớp").status_code == 302
    assert told()[5:] == [("u.drafter", "accept"), ("u.head", "accept"),
                          ("u.drafter", "reopen"), ("u.head", "reopen")]
    # everyone chose "at once" (the default): one e-mail per notice, to its recipient
    assert [to for to, _s, _b in read_mail(mailbox)] == [
        f"{name[2:]}@example.vn" for name, _step in told()]

    page = drafter.get("/notifications").get_data(as_text=True)
    assert "Báo cáo năm 2026 của Huyện Một bị trả lại để bổ sung, chỉnh sửa" in page
    assert "Lý do: Thiếu số liệu II.1.b" in page and "Quy trình báo cáo" in page
    assert f'href="/reports/{loop}"' in page
    assert 'data-testid="unread-count">3<' in drafter.get("/notifications").get_data(
        as_text=True)


def test_the_reason_is_in_the_returned_notice_and_its_email(loop: int, mailbox: Path) -> None:
    act(loop, "submit", "u.drafter")
    act(loop, "return", REVIEWER, "Thiếu biên bản kiểm tra")
    returned = [m for m in read_mail(mailbox) if m[0] == "drafter@example.vn"]
    [(_to, subject, body)] = returned
    assert subject == "Báo cáo năm 2026 của Huyện Một bị trả lại để bổ sung, chỉnh sửa"
    assert body.startswith("Lý do: Thiếu biên bản kiểm tra")
    assert f"/reports/{loop}" in body and "Người thực hiện: Người duyệt của tỉnh." in body


def test_hand_over_and_send_back_tell_the_head_then_the_drafters(loop: int,
                                                                 mailbox: Path) -> None:
    """The drafter hands over (the head is told); the head sends it back (the drafters)."""
    act(loop, "hand_over", "u.drafter")
    act(loop, "send_back", "u.head", "Bổ sung số lớp tập huấn")
    assert told() == [("u.head", "hand_over"), ("u.drafter", "send_back")]
    mail = {to: (subject, body) for to, subject, body in read_mail(mailbox)}
    (handed, _b), (sent_back, body) = mail["head@example.vn"], mail["drafter@example.vn"]
    assert "đã được trình" in handed and "chuyển lại" in sent_back
    assert body.startswith("Ý kiến của thủ trưởng: Bổ sung số lớp tập huấn")


def test_a_refused_or_rolled_back_step_tells_nobody(loop: int, login_as,
                                                    mailbox: Path) -> None:
    reviewer = login_as("province reviewer")
    assert post(reviewer, f"/reports/{loop}/transitions", action="accept").status_code == 422
    with pytest.raises(ReportError):
        act(loop, "return", REVIEWER, "")              # no reason: refused
    with system_scope("test"), pytest.raises(RuntimeError), unit_of_work():
        run_transition(db.session.get(UnitReport, loop), "submit", find_user("u.drafter").id,
                       "")
        assert told() == [(REVIEWER, "submit")]         # flushed inside the unit of work…
        raise RuntimeError("the commit never comes")
    assert told() == [] and read_mail(mailbox) == []  # …and gone with it, e-mail included


def test_the_email_is_queued_after_the_commit_and_sent_once_by_the_job(
        app: Flask, loop: int, mailbox: Path, monkeypatch) -> None:
    import fakeredis
    from rq import Queue

    connection = fakeredis.FakeRedis()
    monkeypatch.setattr("portal.jobs.redis_connection", lambda: connection)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://fake/0")
    act(loop, "submit", "u.drafter")
    act(loop, "return", REVIEWER, "Thiếu số liệu")
    assert read_mail(mailbox) == []                    # nothing sent inside the request
    jobs = Queue("notifications", connection=connection).jobs
    assert len(jobs) == 2
    for job in jobs:
        job.func(*job.args)
    assert sorted(to for to, _s, _b in read_mail(mailbox)) == [
        "drafter@example.vn", "head@example.vn", "p1.reviewer@example.vn"]
    for job in jobs:                                   # RQ may run a job twice
        job.func(*job.args)
    assert len(read_mail(mailbox)) == 3


def test_a_failed_delivery_is_kept_and_the_notice_stays(loop: int, monkeypatch) -> None:
    def refused(*_args: object) -> None:
        raise OSError("SMTP 554: relay refused")

    monkeypatch.setattr("portal.notifications.workflow.send_mail", refused)
    act(loop, "submit", "u.drafter")
    with system_scope("test"):
        [notice] = db.session.scalars(select(Notification).where(
            Notification.kind == "workflow")).all()
        assert "relay refused" in notice.email_error and notice.emailed_at is not None


def test_a_message_about_a_figure_is_mailed_as_the_person_chose(
        app: Flask, loop: int, mailbox: Path) -> None:
    """The drafter writes in a value's thread: the province reviewer (at once) is mailed
    now; as a digest reader the next morning's digest lists it."""
    from portal.outliers.panel import post_comment
    from portal.reports.report import ReportValue
    from tenants.access import reach_of

    def say(text: str) -> None:
        with system_scope("test"), clock.frozen_at(MORNING):
            report = db.session.get(UnitReport, loop)
            row = db.session.scalars(select(ReportValue).where(
                ReportValue.report_id == loop)).first()
            drafter = find_user("u.drafter")
            with unit_of_work():
                post_comment(report, row, reach_of(drafter.id, False), drafter.id, text)

    say("Số liệu đã kiểm tra.")
    [(to, subject, body)] = read_mail(mailbox)
    assert to == "p1.reviewer@example.vn" and "Trao đổi về chỉ tiêu" in subject
    assert "Số liệu đã kiểm tra." in body
    prefer(**{"p1.reviewer": "digest"})
    say("Đã gửi kèm minh chứng.")
    assert len(read_mail(mailbox)) == 1                  # a digest reader: not at once
    with clock.frozen_at(MORNING + timedelta(days=1)):
        assert send_digest(clock.today()).notices == 1
    (to, _subject, body) = read_mail(mailbox)[1]
    assert to == "p1.reviewer@example.vn" and "Trao đổi về chỉ tiêu" in body


def test_digest_readers_get_one_message_a_day_and_returns_at_once(
        app: Flask, loop: int, mailbox: Path) -> None:
    prefer(drafter="digest", head="none")
    with system_scope("test"):
        find_user(REVIEWER).email_delivery = "digest"
        db.session.commit()
    act(loop, "submit", "u.drafter")
    act(loop, "accept", REVIEWER)
    assert read_mail(mailbox) == []                    # digest readers: nothing at once…
    act(loop, "reopen", REVIEWER, "Sửa số lớp")
    [(to, subject, _b)] = read_mail(mailbox)           # …except a report sent back
    assert to == "drafter@example.vn" and "mở lại" in subject
    act(loop, "submit", "u.drafter")
    act(loop, "accept", REVIEWER)
    assert len(read_mail(mailbox)) == 1                # the head (none) never gets any

    with clock.frozen_at(MORNING + timedelta(days=1)):
        done = send_digest(clock.today())
    assert (done.people, done.notices, done.failures) == (2, 4, 0)
    digests = {to: (subject, body) for to, subject, body in read_mail(mailbox)[1:]}
    assert sorted(digests) == ["drafter@example.vn", "p1.reviewer@example.vn"]
    subject, body = digests["drafter@example.vn"]
    assert subject == "Thông báo về báo cáo ngày 21/11/2026 (2)"
    assert body.count("đã được tiếp nhận") == 2 and "mở lại" not in body  # sent already
    subject, body = digests["p1.reviewer@example.vn"]
    assert subject.endswith("(2)") and body.count("đã gửi báo cáo năm 2026") == 2
    with clock.frozen_at(MORNING + timedelta(days=1, hours=1)):
        assert send_digest(clock.today()).people == 0   # run twice: nothing again
    assert len(read_mail(mailbox)) == 3

    runner = app.test_cli_runner()
    result = runner.invoke(args=["notifications", "digest"])
    assert result.exit_code == 0 and "0 digests" in result.output
    result = runner.invoke(args=["notifications", "digest", "--date", "21/11/2026"])
    assert result.exit_code == 1 and "not a date" in result.output


def test_an_at_once_email_whose_job_never_ran_goes_in_the_next_digest(
        app: Flask, loop: int, mailbox: Path, monkeypatch) -> None:
    import fakeredis

    monkeypatch.setattr("portal.jobs.redis_connection", lambda: fakeredis.FakeRedis())
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://fake/0")   # queued, never run
    act(loop, "submit", "u.drafter")
    with clock.frozen_at(MORNING + timedelta(minutes=30)):
        assert send_digest(clock.today()).people == 0   # its job may still run
    with clock.frozen_at(MORNING + timedelta(days=1)):
        assert send_digest(clock.today()).people == 1
    [(to, _subject, body)] = read_mail(mailbox)
    assert to == "p1.reviewer@example.vn" and "để thẩm định" in body


def test_a_notice_about_another_province_never_shows(loop: int, login_as) -> None:
    with system_scope("test"):
        other = db.session.scalar(select(Unit).where(Unit.code == "QD"))
        mine = db.session.get(UnitReport, loop)
        db.session.add(Notification(
            user_id=find_user("u.drafter").id, unit_id=other.id, kind="workflow",
            period_id=mine.period_id, year=2026, title="Báo cáo của Huyện Khác",
            link="/reports/0", created_at=clock.now()))
        db.session.commit()
    drafter = login_as("drafter")
    page = drafter.get("/notifications").get_data(as_text=True)
    assert "Huyện Khác" not in page and "unread-count" not in page


def test_the_settings_page_saves_a_choice_and_refuses_a_bad_one(loop: int, login_as) -> None:
    drafter = login_as("drafter")
    page = drafter.get("/notifications/settings").get_data(as_text=True)
    assert "Cách nhận thư điện tử" in page and "vẫn được gửi thư ngay" in page
    refused = post(drafter, "/notifications/settings", email_delivery="weekly")
    assert refused.status_code == 422 and "Hãy chọn cách nhận thư" in refused.get_data(
        as_text=True)
    refused = drafter.post("/notifications/settings", data={"email_delivery": "digest"})
    assert refused.status_code == 400                  # no form token: refused as elsewhere
    assert post(drafter, "/notifications/settings", email_delivery="digest").status_code == 303
    with system_scope("test"):
        assert find_user("u.drafter").email_delivery == "digest"
        assert find_user("u.head").email_delivery == "immediate"   # the caller's own only
    assert "Một thư tổng hợp mỗi ngày" in drafter.get("/notifications").get_data(as_text=True)


def test_the_worker_books_the_daily_digest(app: Flask, monkeypatch) -> None:
    import fakeredis
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    from portal.notifications import daily

    connection = fakeredis.FakeRedis()
    monkeypatch.setattr("portal.jobs.redis_connection", lambda: connection)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://fake/0")
    registry = ScheduledJobRegistry(queue=Queue("notifications", connection=connection))
    with clock.frozen_at(datetime(2026, 11, 22, 22, 0, tzinfo=UTC)):   # 05:00 on the 23rd
        assert daily.ensure_booked(DIGEST, set()) == "digest-2026-11-23"
    when = registry.get_scheduled_time("digest-2026-11-23")
    assert when.astimezone(clock.LOCAL).hour == 7


def test_the_old_email_choice_is_kept_by_the_migration(tmp_path: Path) -> None:
    """Down to 0013, two people (e-mail on, off), up again: off → none, on → immediate."""
    import flask_migrate

    from composition import create_app
    from portal.config import TestingConfig

    uri = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    other = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=uri, MIGRATION_DATABASE_URL=uri)
    with other.app_context():
        flask_migrate.upgrade(revision="0013_indicator_targets")
        with db.engine.begin() as connection:
            for name, on in (("on", True), ("off", False)):
                connection.execute(text(
                    "INSERT INTO user_account (username, full_name, active, "
                    "is_platform_admin, must_change_password, email_reminders, "
                    "failed_logins, session_version, created_at) VALUES "
                    "(:name, '', 1, 0, 0, :on, 0, 1, '2026-01-01')"), {"name": name, "on": on})
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            after = dict(connection.execute(text(
                "SELECT username, email_delivery FROM user_account")).tuples().all())
        flask_migrate.downgrade(revision="0013_indicator_targets")
        with db.engine.connect() as connection:
            back = dict(connection.execute(text(
                "SELECT username, email_reminders FROM user_account")).tuples().all())
        db.engine.dispose()
    assert after == {"on": "immediate", "off": "none"}
    assert back == {"on": 1, "off": 0}
