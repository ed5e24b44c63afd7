"""A refused field says so to a screen reader: aria-invalid, and aria-describedby naming
the element that holds its message (issue 17 item 7, WCAG 1.3.1, 3.3.1). The autosave
cards do it in tests/test_partial_save.py; these are the plain forms."""

from __future__ import annotations

import re

from flask import Flask

from tests.conftest import PASSWORD, csrf_token


def tied(html: str, name: str) -> str:
    """The message tied to the field ``name``; fails when the field is not marked."""
    field = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    assert field, f"no field {name}"
    tag = field.group(0)
    assert 'aria-invalid="true"' in tag, tag
    described = re.search(r'aria-describedby="([^"]+)"', tag)
    assert described, tag
    slot = re.search(rf'<[^>]*\bid="{described.group(1)}"[^>]*>(.*?)</div>', html, re.S)
    assert slot, f"aria-describedby names {described.group(1)}, which the page lacks"
    return re.sub(r"<[^>]+>", "", slot.group(1)).strip()


def test_the_password_form_ties_each_message(app: Flask, login_as) -> None:
    client = login_as("leader")
    token = csrf_token(client, "/auth/password")
    html = client.post("/auth/password", data={
        "current": PASSWORD, "new": "ngan1", "confirm": "ngan1",
        "csrf_token": token}).get_data(as_text=True)
    assert "ít nhất 10 ký tự" in tied(html, "new")
    html = client.post("/auth/password", data={
        "current": "not-my-password-1", "new": "Mot-mat-khau-moi-1",
        "confirm": "Mot-mat-khau-moi-1", "csrf_token": token}).get_data(as_text=True)
    assert "Mật khẩu hiện tại không đúng" in tied(html, "current")


def test_the_sign_in_form_ties_its_message(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client)
    html = client.post("/auth/login", data={"username": "", "password": "",
                                            "csrf_token": token}).get_data(as_text=True)
    assert tied(html, "username")


def test_the_audit_filter_ties_a_bad_date(app: Flask, login_as) -> None:
    html = login_as("admin").get("/units/D1/audit?since=31/02/2026").get_data(as_text=True)
    assert tied(html, "since")
    assert 'name="until"' in html and 'aria-invalid="true" aria-describedby="until' not in html


def test_the_e_mail_choice_ties_its_message(app: Flask, login_as) -> None:
    client = login_as("drafter")
    token = csrf_token(client, "/notifications/settings")
    html = client.post("/notifications/settings", data={
        "csrf_token": token, "email_delivery": "maybe"}).get_data(as_text=True)
    assert "Hãy chọn cách nhận thư" in tied(html, "email_delivery")
