"""Structured logs: a JSON object per line, carrying the request id, account and unit."""

from __future__ import annotations

import json
import logging

from flask import Flask, g

from portal.observability import JsonFormatter, RequestContextFilter


def record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("portal.test", logging.WARNING, __file__, 1, message, args, None)


def test_a_log_line_in_a_request_names_the_request_the_account_and_the_unit(app: Flask) -> None:
    with app.test_request_context("/units/D1/plans"):
        g.request_id, g.user_id = "lb-0123456789", 7
        line = record("cannot queue %s", "consolidation-1")
        assert RequestContextFilter().filter(line)
        entry = json.loads(JsonFormatter().format(line))
    assert entry["message"] == "cannot queue consolidation-1"
    assert (entry["request_id"], entry["user"], entry["unit"], entry["level"]) == (
        "lb-0123456789", 7, "D1", "WARNING")
    assert entry["time"].endswith("+00:00")


def test_a_log_line_outside_a_request_has_no_empty_fields(app: Flask) -> None:
    line = record("reminders sent: %d", 12)
    RequestContextFilter().filter(line)
    entry = json.loads(JsonFormatter().format(line))
    assert entry["message"] == "reminders sent: 12"
    assert not {"request_id", "user", "unit"} & set(entry)


def test_the_access_line_carries_status_and_duration(app: Flask, login_as, monkeypatch,
                                                     caplog) -> None:
    monkeypatch.setitem(app.config, "ACCESS_LOG", True)
    client = login_as("drafter")
    with caplog.at_level(logging.INFO, logger="portal.access"):
        client.get("/units/D1", headers={"X-Request-ID": "probe-access-1"})
    access = [r for r in caplog.records if r.name == "portal.access"]
    assert access and access[-1].status == 200 and access[-1].path == "/units/D1"
    assert access[-1].duration_ms >= 0
    entry = json.loads(JsonFormatter().format(access[-1]))
    assert entry["request_id"] == "probe-access-1" and entry["unit"] == "D1"
