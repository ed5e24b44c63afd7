"""Reminders: the step a day falls in, never twice, opt-out, overdue digests to reviewers,
the e-mails read back, the daily command with a clock set in the test, and the page."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from portal import clock
from portal.accounts.user import User
from portal.extensions import db
from portal.frameworks.period import ReportingPeriod
from portal.notifications.notification import Notification
from portal.notifications.reminders import queue_reminders, send_reminders, step_for
from portal.reports.service import open_report
from tenants.scoping import system_scope
from tenants.unit import Unit
from tests.builders import make_framework, read_mail
from tests.conftest import csrf_token

DUE = date(2026, 11, 30)


@pytest.mark.parametrize(("today", "step"), [
    (date(2026, 10, 30), None),        # 31 days before
    (date(2026, 10, 31), "30"),
    (date(2026, 11, 22), "30"),        # 8 days before: still the 30-day step
    (date(2026, 11, 23), "7"),
    (date(2026, 11, 28), "7"),
    (date(2026, 11, 29), "1"),
    (date(2026, 11, 30), "1"),         # the due day itself
    (date(2026, 12, 1), "overdue"),
    (date(2026, 12, 30), "overdue"),
    (date(2026, 12, 31), None),        # long past: not chased any more
])
def test_the_step_a_day_falls_in(today: date, step: str | None) -> None:
    assert step_for(DUE, today) == step


def notices() -> list[tuple[str, str, str]]:
    with system_scope("test"):
        rows = db.session.execute(
            select(User.username, Unit.code, Notification.step)
            .join(User, User.id == Notification.user_id)
            .join(Unit, Unit.id == Notification.unit_id)
            .order_by(Notification.id)).tuples().all()
    return list(rows)


@pytest.fixture
def people(world):
    make_framework("P1")
    with system_scope("test"):
        for role in ("drafter", "head", "reviewer", "consolidator"):
            user = db.session.scalar(select(User).where(User.username == f"u.{role}"))
            user.email = f"{role}@example.vn"
        head = db.session.scalar(select(User).where(User.username == "u.head"))
        head.email_delivery = "none"          # the head turned e-mail off
        db.session.commit()
    return world


def test_a_reminder_goes_once_per_step_and_only_to_units_that_have_not_submitted(
        app: Flask, people, mailbox: Path) -> None:
    sent = send_reminders(date(2026, 11, 23))
    assert notices() == [("u.drafter", "D1", "7"), ("u.head", "D1", "7")]
    assert sent.emails == 1                                   # the head opted out
    [(to, subject, body)] = read_mail(mailbox)
    assert to == "drafter@example.vn"
    assert "2026" in subject and "Huyện Một" in subject and "30/11/2026" in subject
    assert "/units/D1/reports" in body

    again = send_reminders(date(2026, 11, 23))                # the job run twice
    assert again.notifications == 0 and len(read_mail(mailbox)) == 1
    assert send_reminders(date(2026, 11, 25)).notifications == 0   # same step, later day

    send_reminders(date(2026, 11, 29))
    assert notices()[-2:] == [("u.drafter", "D1", "1"), ("u.head", "D1", "1")]

    with system_scope("test"):                                 # D1 submits
        unit = db.session.scalar(select(Unit).where(Unit.code == "D1"))
        period = db.session.scalar(select(ReportingPeriod).where(ReportingPeriod.year == 2026))
        open_report(unit, period, None).status = "submitted"
        db.session.commit()
    before = len(notices())
    send_reminders(date(2026, 12, 1))
    overdue = notices()[before:]
    # D1 is not chased; its late communes C11, C12 are, in one notice to D1's reviewers.
    assert sorted(overdue) == [("u.consolidator", "D1", "overdue"),
                               ("u.reviewer", "D1", "overdue")]
    with system_scope("test"):
        text = db.session.scalar(select(Notification.title).where(
            Notification.step == "overdue").limit(1))
        body = db.session.scalar(select(Notification.body).where(
            Notification.step == "overdue").limit(1))
    assert text.startswith("2 ") and "Huyện Một" in text
    assert body == "Xã Ân Thi Một; Xã Một Một"


def test_the_daily_command_uses_the_clock(app: Flask, people, mailbox: Path,
                                          monkeypatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", None)   # the embedded mode: runs here and now
    with clock.frozen_at(datetime(2026, 11, 1, 2, 0, tzinfo=UTC)):   # 09:00 in Hà Nội
        queue_reminders()
    assert notices() == [("u.drafter", "D1", "30"), ("u.head", "D1", "30")]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reminders", "send", "--date", "2026-11-01"])
    assert result.exit_code == 0 and "0 notifications" in result.output
    result = runner.invoke(args=["reminders", "send", "--date", "01/11/2026"])
    assert result.exit_code == 1 and "not a date" in result.output


def test_people_see_their_own_notices_and_choose_about_email(app: Flask, people, login_as,
                                                             mailbox: Path) -> None:
    send_reminders(date(2026, 11, 23))
    drafter = login_as("drafter")
    page = drafter.get("/notifications").get_data(as_text=True)
    assert "Báo cáo năm 2026 của Huyện Một sẽ đến hạn sau 7 ngày" in page
    assert 'data-testid="unread-count">1<' in drafter.get("/units/D1").get_data(as_text=True)
    leader = login_as("leader")          # no notice of their own: sees none of the others'
    page = leader.get("/notifications").get_data(as_text=True)
    assert 'data-testid="notifications"' not in page and "unread-count" not in page

    token = csrf_token(drafter, "/notifications")
    assert drafter.post("/notifications/read", data={"csrf_token": token}).status_code == 303
    assert "unread-count" not in drafter.get("/units/D1").get_data(as_text=True)

    response = drafter.post("/notifications/settings", data={"csrf_token": token,
                                                             "email_delivery": "maybe"})
    assert response.status_code == 422
    assert "Hãy chọn cách nhận thư" in response.get_data(as_text=True)
    drafter.post("/notifications/settings", data={"csrf_token": token,
                                                  "email_delivery": "none"})
    with system_scope("test"):
        assert db.session.scalar(select(User.email_delivery).where(
            User.username == "u.drafter")) == "none"
    send_reminders(date(2026, 11, 29))
    assert [to for to, _s, _b in read_mail(mailbox)] == ["drafter@example.vn"]  # the 7-day one


def test_the_worker_books_one_daily_run_with_the_rq_scheduler(app: Flask, monkeypatch) -> None:
    import fakeredis
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    from portal.notifications.reminders import schedule_daily

    connection = fakeredis.FakeRedis()
    monkeypatch.setattr("portal.jobs.redis_connection", lambda: connection)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://fake/0")
    registry = ScheduledJobRegistry(queue=Queue("notifications", connection=connection))
    with clock.frozen_at(datetime(2026, 11, 22, 22, 0, tzinfo=UTC)):   # 05:00 on the 23rd
        assert schedule_daily() == "reminders-2026-11-23"
        assert schedule_daily() == "reminders-2026-11-23"              # booked once
    assert registry.get_job_ids() == ["reminders-2026-11-23"]
    when = registry.get_scheduled_time("reminders-2026-11-23")
    assert when.astimezone(clock.LOCAL).hour == 7                        # 07:00 in Hà Nội
    with clock.frozen_at(datetime(2026, 11, 23, 3, 0, tzinfo=UTC)):    # 10:00: too late today
        assert schedule_daily() == "reminders-2026-11-24"
    from portal.notifications.reminders import reminders_job

    reminders_job("2026-11-24", True)            # the scheduled run books the next one
    assert "reminders-2026-11-25" in registry.get_job_ids()


def test_a_booking_redis_lost_is_made_again_and_a_missed_day_caught_up_once(
        app: Flask, monkeypatch) -> None:
    """Issue 15 item 3: the worker's pass calls ensure_booked; Redis restarts empty it."""
    import fakeredis
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    from portal.notifications.reminders import ensure_booked

    connection = fakeredis.FakeRedis()
    monkeypatch.setattr("portal.jobs.redis_connection", lambda: connection)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://fake/0")
    queue = Queue("notifications", connection=connection)
    registry = ScheduledJobRegistry(queue=queue)
    handled: set[str] = set()                     # the worker's memory across passes
    with clock.frozen_at(datetime(2026, 11, 22, 22, 0, tzinfo=UTC)):   # 05:00 on the 23rd
        assert ensure_booked(handled) == "reminders-2026-11-23"        # booked for 07:00
    assert registry.get_job_ids() == ["reminders-2026-11-23"] and queue.job_ids == []
    connection.flushall()                         # Redis restarted at 06:00: booking gone
    with clock.frozen_at(datetime(2026, 11, 23, 3, 0, tzinfo=UTC)):    # 10:00: day missed
        assert ensure_booked(handled) == "reminders-2026-11-23"        # caught up: run now
        assert queue.job_ids == ["reminders-2026-11-23"]
        assert ensure_booked(handled) == "reminders-2026-11-24"        # next pass: tomorrow
        assert queue.job_ids == ["reminders-2026-11-23"]               # today's once
        connection.flushall()                     # Redis restarted again after today's run
        assert ensure_booked(handled) == "reminders-2026-11-24"        # booked again ...
        assert queue.job_ids == []                                     # ... not caught up twice
    assert registry.get_job_ids() == ["reminders-2026-11-24"]
