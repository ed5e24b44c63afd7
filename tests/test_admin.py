"""Administration: operators at /admin, tenant administrators at /unit-admin, each seeing
and touching only what they may — through lists, counts, edit and details pages, exports,
bulk actions and forged form values."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.accounts.service import create_user, find_user, grant
from portal.extensions import db
from tenants.membership import Membership
from tenants.scoping import system_scope
from tenants.unit import Unit, UnitClosure
from tests.conftest import PASSWORD, csrf_token, login


@pytest.fixture
def outsiders(world):
    """An account in sibling district D2 and one in the other province."""
    with system_scope("test"):
        ids = {}
        for username, code in (("x.sibling", "D2"), ("x.other", "QD"), ("x.commune", "C11")):
            user = create_user(username, PASSWORD, full_name=f"Người {code}")
            grant(user, db.session.scalar(select(Unit).where(Unit.code == code)), "drafter")
            ids[username] = user.id
        db.session.commit()
    return ids


def unit_id(code: str) -> int:
    with system_scope("test"):
        return db.session.scalar(select(Unit.id).where(Unit.code == code))


def test_who_enters_which_area(login_as) -> None:
    assert login_as("anonymous").get("/admin/").status_code == 302
    assert login_as("platform").get("/admin/").status_code == 200
    assert login_as("platform").get("/admin/unit/").status_code == 200
    assert login_as("platform").get("/admin/audit_entry/").status_code == 200
    for role in ("drafter", "head", "reviewer", "consolidator", "leader", "admin"):
        assert login_as(role).get("/admin/").status_code == 403
        assert login_as(role).get("/admin/user_account/").status_code == 403
    assert login_as("admin").get("/unit-admin/").status_code == 200
    for role in ("drafter", "head", "reviewer", "consolidator", "leader", "platform"):
        assert login_as(role).get("/unit-admin/").status_code == 403
        assert login_as(role).get("/unit-admin/user_account/").status_code == 403
    assert login_as("anonymous").get("/unit-admin/unit/").status_code == 302


def test_the_tenant_admin_lists_only_their_subtree(login_as, outsiders) -> None:
    admin = login_as("admin")                       # administrator of district D1
    accounts = admin.get("/unit-admin/user_account/").get_data(as_text=True)
    assert "x.commune" in accounts and "u.drafter" in accounts
    assert "x.sibling" not in accounts and "x.other" not in accounts
    assert "u.platform" not in accounts
    units = admin.get("/unit-admin/unit/").get_data(as_text=True)
    assert re.search(r">\s*C11\s*<", units) and not re.search(r">\s*D2\s*<", units)
    assert not re.search(r">\s*QD\s*<", units) and not re.search(r">\s*P1\s*<", units)
    memberships = admin.get("/unit-admin/membership/").get_data(as_text=True)
    assert "x.sibling" not in memberships and "x.other" not in memberships
    exported = admin.get("/unit-admin/user_account/export/csv/",
                         buffered=True).get_data(as_text=True)   # a streamed body
    assert "x.commune" in exported and "x.sibling" not in exported
    assert "x.other" not in exported


def test_edit_and_details_outside_are_not_there(login_as, outsiders) -> None:
    admin = login_as("admin")
    for username in ("x.sibling", "x.other"):
        user_id = outsiders[username]
        assert admin.get(f"/unit-admin/user_account/edit/?id={user_id}").status_code == 404
        assert admin.get(f"/unit-admin/user_account/details/?id={user_id}").status_code == 404
    assert admin.get(f"/unit-admin/unit/edit/?id={unit_id('D2')}").status_code == 404
    assert admin.get(f"/unit-admin/unit/details/?id={unit_id('P1')}").status_code == 404
    assert admin.get(f"/unit-admin/unit/edit/?id={unit_id('C11')}").status_code == 200
    assert admin.get("/unit-admin/unit/edit/?id=abc").status_code == 404
    token = csrf_token(admin, "/auth/password")
    response = admin.post(f"/unit-admin/unit/edit/?id={unit_id('D2')}",
                          data={"name": "Đổi tên", "csrf_token": token})
    assert response.status_code == 404
    with system_scope("test"):
        assert db.session.get(Unit, unit_id("D2")).name == "Huyện Hai"


def test_bulk_actions_touch_only_the_subtree(login_as, outsiders) -> None:
    admin = login_as("admin")
    token = csrf_token(admin, "/auth/password")
    response = admin.post("/unit-admin/user_account/action/", data={
        "action": "deactivate", "csrf_token": token,
        "rowid": [str(outsiders["x.sibling"]), str(outsiders["x.other"]),
                  str(outsiders["x.commune"])]})
    assert response.status_code == 302
    with system_scope("test"):
        assert find_user("x.commune").active is False
        assert find_user("x.sibling").active is True and find_user("x.other").active is True
    response = admin.post("/unit-admin/user_account/action/", data={
        "action": "reset_password", "csrf_token": token,
        "rowid": [str(outsiders["x.commune"]), str(outsiders["x.other"])]})
    with system_scope("test"):
        assert find_user("x.commune").must_change_password is True
        assert find_user("x.other").must_change_password is False
    page = admin.get("/unit-admin/user_account/").get_data(as_text=True)
    assert "x.commune" in page and "Tm-" in page     # the temporary password, shown once


def test_forms_cannot_reach_outside(login_as, outsiders) -> None:
    admin = login_as("admin")
    token = csrf_token(admin, "/auth/password")
    # an account in another province's unit: the unit is not among the choices
    admin.post("/unit-admin/user_account/new/", data={
        "username": "x.forged", "full_name": "Giả", "unit": str(unit_id("QD")),
        "role": "admin", "csrf_token": token})
    with system_scope("test"):
        assert find_user("x.forged") is None
    # a role that does not exist
    admin.post("/unit-admin/user_account/new/", data={
        "username": "x.badrole", "unit": str(unit_id("C11")), "role": "superuser",
        "csrf_token": token})
    with system_scope("test"):
        assert find_user("x.badrole") is None
    # a membership for an account outside, or in a unit outside
    admin.post("/unit-admin/membership/new/", data={
        "user": str(outsiders["x.other"]), "unit": str(unit_id("C11")), "role": "admin",
        "csrf_token": token})
    admin.post("/unit-admin/membership/new/", data={
        "user": str(outsiders["x.commune"]), "unit": str(unit_id("D2")), "role": "admin",
        "csrf_token": token})
    with system_scope("test"):
        roles = {(m.user_id, m.unit_id, m.role) for m in db.session.scalars(select(Membership))}
    assert (outsiders["x.other"], unit_id("C11"), "admin") not in roles
    assert (outsiders["x.commune"], unit_id("D2"), "admin") not in roles
    # a unit below a unit outside
    admin.post("/unit-admin/unit/new/", data={
        "parent": str(unit_id("D2")), "code": "X99", "name": "Xã Giả", "kind": "commune",
        "csrf_token": token})
    with system_scope("test"):
        assert db.session.scalar(select(Unit).where(Unit.code == "X99")) is None


def test_the_tenant_admin_onboards_an_account_and_a_unit(login_as) -> None:
    admin = login_as("admin")
    token = csrf_token(admin, "/auth/password")
    response = admin.post("/unit-admin/user_account/new/", data={
        "username": "canbo.moi", "full_name": "Cán bộ Mới", "email": "moi@example.org",
        "unit": str(unit_id("C11")), "role": "drafter", "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with system_scope("test"):
        user = find_user("canbo.moi")
        assert user is not None and user.must_change_password
        assert [(m.unit.code, m.role) for m in user.memberships] == [("C11", "drafter")]
    response = admin.post("/unit-admin/unit/new/", data={
        "parent": str(unit_id("D1")), "code": "C13", "name": "Xã Mới", "kind": "commune",
        "csrf_token": token})
    assert response.status_code == 302
    with system_scope("test"):
        new = db.session.scalar(select(Unit).where(Unit.code == "C13"))
        assert new.parent_id == unit_id("D1")
        assert db.session.scalar(select(UnitClosure.depth).where(
            UnitClosure.ancestor_id == unit_id("P1"), UnitClosure.descendant_id == new.id)) == 2
    # a code already used elsewhere is refused with the reason
    response = admin.post("/unit-admin/unit/new/", data={
        "parent": str(unit_id("D1")), "code": "QD", "name": "Trùng", "kind": "commune",
        "csrf_token": token}, follow_redirects=True)
    assert "QD" in response.get_data(as_text=True)


def test_admin_forms_need_the_csrf_token(login_as, outsiders) -> None:
    admin = login_as("admin")
    response = admin.post("/unit-admin/user_account/action/", data={
        "action": "deactivate", "rowid": [str(outsiders["x.commune"])]})
    assert response.status_code == 400
    with system_scope("test"):
        assert find_user("x.commune").active is True


def test_the_operator_sees_every_province(login_as, outsiders) -> None:
    operator = login_as("platform")
    accounts = operator.get("/admin/user_account/?search=x.").get_data(as_text=True)
    assert "x.sibling" in accounts and "x.other" in accounts
    audit = operator.get("/admin/audit_entry/").get_data(as_text=True)
    assert "user_account" in audit
    # nobody edits the audit log, not even here
    assert operator.get("/admin/audit_entry/edit/?id=1").status_code in (302, 403, 404)


def test_ajax_lookups_reveal_nothing_outside(login_as, outsiders) -> None:
    admin = login_as("admin")
    # the tenant area has no lookup that could list accounts or units
    for view, name in (("membership", "user"), ("membership", "unit"), ("user_account", "x")):
        response = admin.get(f"/unit-admin/{view}/ajax/lookup/?name={name}&query=x.")
        assert response.status_code in (400, 404), (view, name, response.status_code)
        assert "x.sibling" not in response.get_data(as_text=True)
    # the operators' lookups are the operators'
    assert admin.get("/admin/membership/ajax/lookup/?name=user&query=x.").status_code == 403
    found = login_as("platform").get("/admin/membership/ajax/lookup/?name=user&query=x.")
    assert found.status_code == 200 and "x.sibling" in found.get_data(as_text=True)
    # inline edits go through get_one: outside is not there
    token = csrf_token(admin, "/auth/password")
    response = admin.post("/unit-admin/unit/ajax/update/", data={
        "list_form_pk": str(unit_id("D2")), "name": "Đổi tên", "csrf_token": token})
    assert response.status_code in (400, 404)
    with system_scope("test"):
        assert db.session.get(Unit, unit_id("D2")).name == "Huyện Hai"


def test_bulk_delete_of_memberships_revokes_only_those_in_scope(login_as, outsiders) -> None:
    """Finding 8 (issue 14): Flask-Admin's bulk Delete compared integer ids with strings,
    which PostgreSQL refuses (``integer = character varying``); run with DATABASE_URL."""
    with system_scope("test"):
        ids = {m.user_id: m.id for m in db.session.scalars(select(Membership).where(
            Membership.user_id.in_(list(outsiders.values()))))}
    admin = login_as("admin")
    response = admin.post("/unit-admin/membership/action/", follow_redirects=True, data={
        "action": "delete", "csrf_token": csrf_token(admin, "/auth/password"),
        "rowid": [str(ids[outsiders["x.commune"]]), str(ids[outsiders["x.other"]])]})
    assert response.status_code == 200
    assert "Đã thu hồi 1 vai trò" in response.get_data(as_text=True)
    with system_scope("test"):
        left = set(db.session.scalars(select(Membership.id).where(
            Membership.id.in_(list(ids.values())))))
    assert left == {ids[outsiders["x.sibling"]], ids[outsiders["x.other"]]}
    operator = login_as("platform")
    operator.post("/admin/membership/action/", data={
        "action": "delete", "csrf_token": csrf_token(operator, "/auth/password"),
        "rowid": [str(ids[outsiders["x.other"]])]})
    with system_scope("test"):
        left = set(db.session.scalars(select(Membership.id).where(
            Membership.id.in_(list(ids.values())))))
    assert left == {ids[outsiders["x.sibling"]]}
    assert admin.post("/unit-admin/membership/action/", data={
        "action": "delete", "csrf_token": csrf_token(admin, "/auth/password"),
        "rowid": ["1 OR 1=1"]}).status_code == 400


def _reset(client, area: str, user_id: int, **extra):
    return client.post(f"/{area}/user_account/reset-password/", data={
        "id": str(user_id), "csrf_token": csrf_token(client, "/auth/password"), **extra})


def test_one_account_s_password_reset_is_shown_once_and_audited(login_as, outsiders) -> None:
    from portal.audit.entry import AuditEntry

    admin = login_as("admin")
    commune = outsiders["x.commune"]
    listing = admin.get("/unit-admin/user_account/").get_data(as_text=True)
    assert 'data-testid="reset-password-row"' in listing
    details = admin.get(f"/unit-admin/user_account/details/?id={commune}").get_data(
        as_text=True)
    assert 'data-testid="reset-password"' in details
    response = _reset(admin, "unit-admin", commune)
    assert response.status_code == 200
    temporary = re.search(r'data-testid="temporary-password">([^<]+)<',
                          response.get_data(as_text=True))[1]
    with system_scope("test"):
        user = find_user("x.commune")
        assert user.must_change_password is True
        assert db.session.scalar(select(AuditEntry).where(
            AuditEntry.object_type == "user_account", AuditEntry.object_id == commune,
            AuditEntry.action == "update")) is not None
    # shown on that response only: nowhere on the next pages
    assert temporary not in admin.get("/unit-admin/user_account/").get_data(as_text=True)
    signed_in = login(admin.application.test_client(), "x.commune", temporary)
    assert signed_in.status_code == 302


def test_a_reset_respects_reach(login_as, outsiders) -> None:
    admin = login_as("admin")
    with system_scope("test"):
        before = {u: find_user(u).password_hash for u in ("x.sibling", "x.other", "u.platform")}
        platform_id = find_user("u.platform").id
        # x.commune also gets a role in sibling district D2: beyond the D1 administrator
        grant(find_user("x.commune"), db.session.scalar(select(Unit).where(Unit.code == "D2")),
              "drafter")
        db.session.commit()
        commune_hash = find_user("x.commune").password_hash
    assert _reset(admin, "unit-admin", outsiders["x.sibling"]).status_code == 404
    assert _reset(admin, "unit-admin", outsiders["x.other"]).status_code == 404
    assert _reset(admin, "unit-admin", platform_id).status_code == 404   # an operator
    assert _reset(admin, "unit-admin", outsiders["x.commune"]).status_code == 403
    assert _reset(admin, "unit-admin", 0).status_code == 404
    assert admin.post("/unit-admin/user_account/reset-password/", data={
        "id": str(outsiders["x.commune"])}).status_code == 400          # no CSRF token
    listing = admin.get("/unit-admin/user_account/").get_data(as_text=True)
    assert f'name="id" value="{outsiders["x.commune"]}"' not in listing  # no button for it
    assert _reset(login_as("drafter"), "unit-admin", outsiders["x.commune"]).status_code == 403
    with system_scope("test"):
        assert {u: find_user(u).password_hash for u in before} == before
        assert find_user("x.commune").password_hash == commune_hash
    # an operator reaches every account
    assert _reset(login_as("platform"), "admin", outsiders["x.other"]).status_code == 200


def test_the_operator_creates_an_account(login_as) -> None:
    operator = login_as("platform")
    form = operator.get("/admin/user_account/new/").get_data(as_text=True)
    assert 'name="unit_code"' in form and "Cán bộ soạn thảo" in form
    token = csrf_token(operator, "/auth/password")
    response = operator.post("/admin/user_account/new/", follow_redirects=True, data={
        "username": "canbo.tinh", "full_name": "Lê Văn Tỉnh", "email": "tinh@example.org",
        "unit_code": "QD", "role": "reviewer", "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Tm-" in page      # the temporary password, once
    assert "Tm-" not in operator.get("/admin/user_account/").get_data(as_text=True)
    operator.post("/admin/user_account/new/", data={
        "username": "khong.vai.tro", "full_name": "Không Vai Trò", "unit_code": "",
        "role": "drafter", "csrf_token": token})
    refused = operator.post("/admin/user_account/new/", data={
        "username": "sai.ma", "unit_code": "KHONG-CO", "role": "drafter",
        "csrf_token": token})
    assert "KHONG-CO" in refused.get_data(as_text=True)
    with system_scope("test"):
        user = find_user("canbo.tinh")
        assert user.must_change_password and user.email == "tinh@example.org"
        assert [(m.unit.code, m.role) for m in user.memberships] == [("QD", "reviewer")]
        assert find_user("khong.vai.tro").memberships == []
        assert find_user("sai.ma") is None
