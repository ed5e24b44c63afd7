"""Administration with Flask-Admin 2 (Bootstrap 4 theme), in two areas.

- ``/admin``: platform operators — units, accounts, memberships, frameworks, reporting
  periods, API tokens and the audit log of every province.
- ``/unit-admin``: tenant administrators — the accounts, memberships and units of the
  subtrees they administer, nothing else.

Scoping is explicit and fails closed: every tenant view overrides ``get_query``,
``get_count_query`` and ``get_one`` with the administered subtree (so lists, counts,
edit and details pages, exports and bulk actions all read through it), its forms offer
only units inside it and the roles that exist, and underneath the ORM guard and
row-level security apply the caller's scope as everywhere. Nothing is ever deleted but
memberships: accounts are deactivated. One CSRF scheme: the forms are Flask-WTF forms,
checked by the app's ``CSRFProtect`` like every other form.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, abort, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.model import typefmt
from flask_admin.model.template import TemplateLinkRowAction
from flask_admin.theme import Bootstrap4Theme
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from jinja2 import ChoiceLoader, FunctionLoader, PackageLoader, PrefixLoader
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Query, selectinload
from wtforms import DateField, EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3; types-WTForms is 3.2
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import TextInput

from blueprints.admin.imports import AccountImportView, ReorganizeView, UnitImportView, refused
from portal import clock
from portal.accounts.api_token import ApiToken
from portal.accounts.reach import BeyondReach, accounts_beyond
from portal.accounts.service import (
    AccountError,
    create_user,
    grant,
    reset_password,
    revoke_membership,
    revoke_tokens,
    set_active,
    temporary_password,
    unlock,
    update_account,
)
from portal.accounts.user import EMAIL_DELIVERY_LABELS, User
from portal.audit.entry import AUDIT_ACTION_LABELS, OBJECT_TYPE_LABELS, AuditEntry
from portal.dates import FORMATS as DAY_FORMATS
from portal.export_cells import csv_cell
from portal.extensions import db
from portal.frameworks.framework import Framework
from portal.frameworks.period import ReportingPeriod
from portal.labels import Labels, label
from portal.problems import DomainError
from portal.register.service import set_identity
from portal.security import csp_nonce
from portal.unit_of_work import unit_of_work
from tenants.membership import ROLE_LABELS, Membership, Role
from tenants.tree import add_unit
from tenants.unit import UNIT_KIND_LABELS, Unit, UnitClosure, UnitKind

_Row = TypeVar("_Row")
_Result = TypeVar("_Result")   # what a bulk action's change returns for each account

# Choices read by their labels (lazy: in the reader's language when the form is drawn).
ROLE_CHOICES = [SelectChoice(r.value, ROLE_LABELS[r]) for r in Role]


def _signed_in() -> bool:
    return bool(current_user and current_user.is_authenticated)


def _is_operator() -> bool:
    return _signed_in() and g.reach.platform_admin


def administered_roots() -> list[int]:
    """The units the caller administers (their subtrees are theirs to manage)."""
    reach = g.get("reach")
    if reach is None:
        return []
    return sorted(u for u, roles in reach.roles.items() if Role.ADMIN in roles)


def _administered_ids() -> Select[tuple[int]]:
    return select(UnitClosure.descendant_id).where(
        UnitClosure.ancestor_id.in_(administered_roots()))


def _id_or_404(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        abort(404)


def _one_or_404(query: Query[_Row]) -> _Row:
    """A record outside the administered subtrees is not there (404), as everywhere."""
    found = query.one_or_none()
    if found is None:
        abort(404)
    return found


def _refuse() -> ResponseReturnValue:
    if not _signed_in():
        return redirect(url_for("auth.login", next=request.full_path))
    abort(403)


class _Index(AdminIndexView):
    def __init__(self, allowed: Callable[[], bool], template: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._allowed = allowed
        self._template = template

    def is_accessible(self) -> bool:
        return self._allowed()

    def inaccessible_callback(self, name: str, **kwargs: Any) -> ResponseReturnValue:
        return _refuse()

    @expose("/")
    def index(self) -> str:
        return self.render(self._template, roots=administered_roots())


COLUMN_LABELS = {
    "username": _l("User name"), "full_name": _l("Full name"), "email": _l("E-mail"),
    "active": _l("Active"), "is_platform_admin": _l("Platform operator"),
    "must_change_password": _l("Must change password"), "last_login_at": _l("Last sign-in"),
    "locked_until": _l("Locked until"),
    "memberships": _l("Roles"), "code": _l("Code"), "name": _l("Name"), "kind": _l("Kind"),
    "admin_type": _l("Official type"), "parent": _l("Parent unit"),
    "valid_from": _l("Valid from"), "valid_to": _l("Valid to"), "user": _l("Account"),
    "unit": _l("Unit"), "role": _l("Role"), "created_at": _l("Created"), "year": _l("Year"),
    "due_date": _l("Due date"), "cutoff_date": _l("Data cut-off"),
    "lock_date": _l("Entry locked after"), "framework_id": _l("Framework"),
    "hint": _l("Token starts with"), "last_used_at": _l("Last used"),
    "revoked_at": _l("Revoked"), "at": _l("When"), "actor": _l("Who"),
    "object_type": _l("Object"), "object_id": _l("Object id"), "action": _l("Change"),
    "label": _l("What"), "unit_id": _l("Unit id"), "owner_unit_id": _l("Owner unit id"),
    "email_delivery": _l("E-mail delivery"), "failed_logins": _l("Failed sign-ins in a row"),
    "search_name": _l("Name without diacritics"),
}


def _shown(_view: object, value: datetime | date | None, _name: str) -> str:
    return clock.shown(value)


def _yes_no(_view: object, value: bool, _name: str) -> str:
    return _("Yes") if value else _("No")


# Times and dates in lists, details and exports as everywhere (datetime before date: a
# datetime is a date too, and Flask-Admin takes the first type that matches); yes and no
# in words, not Flask-Admin's icons (which read as nothing to a screen reader).
PLAIN_FORMATTERS = {bool: _yes_no, datetime: _shown, date: _shown}
LIST_FORMATTERS = {**typefmt.BASE_FORMATTERS, **PLAIN_FORMATTERS}
DETAIL_FORMATTERS = {**typefmt.DETAIL_FORMATTERS, **PLAIN_FORMATTERS}
EXPORT_FORMATTERS = {**typefmt.EXPORT_FORMATTERS, **PLAIN_FORMATTERS}


def _labelled(labels: Labels) -> Callable[[object, object, object, str], str]:
    """A column formatter: the column's enum value read as its label (``portal.labels``)."""
    return lambda _view, _context, row, name: label(labels, getattr(row, name))


def _label_filter(column: Any, name: object, labels: Labels) -> FilterEqual:
    """An "equals" filter offering the values by their labels (Flask-Admin's own string
    filters would ask for "contains drafter"); the labels stay lazy, and Flask-Admin reads
    them in the reader's language when it draws the list."""
    return FilterEqual(column, name, options=[(str(value), text)
                                              for value, text in labels.items()])


# A column formatter: (view, context, row, column name) -> the text shown.
Formatter = Callable[..., str]
LABEL_FORMATTERS: dict[str, Formatter] = {"role": _labelled(ROLE_LABELS),
                                          "kind": _labelled(UNIT_KIND_LABELS)}


class DayField(DateField):
    """A date typed as people write it here (dd/mm/yyyy; also dd-mm-yyyy and ISO), shown
    as dd/mm/yyyy; a plain text box, not Flask-Admin's picker (which writes yyyy-mm-dd)."""

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"placeholder": "dd/mm/yyyy"})
        kwargs["format"] = list(DAY_FORMATS)
        super().__init__(*args, **kwargs)


class _View(ModelView):
    """Shared by both areas: Flask-WTF forms, no deletion, a page of 50."""

    column_labels = COLUMN_LABELS
    column_formatters = LABEL_FORMATTERS
    column_type_formatters = LIST_FORMATTERS
    column_type_formatters_detail = DETAIL_FORMATTERS
    column_type_formatters_export = EXPORT_FORMATTERS
    form_base_class = FlaskForm
    can_delete = False
    can_view_details = True
    page_size = 50

    def inaccessible_callback(self, name: str, **kwargs: Any) -> ResponseReturnValue:
        return _refuse()

    def get_export_value(self, model: Any, name: str) -> Any:
        """Exported cells never run as formulas in a spreadsheet (portal.export_cells)."""
        return csv_cell(super().get_export_value(model, name))


class _OperatorView(_View):
    def is_accessible(self) -> bool:
        return _is_operator()


# ---- accounts: what both areas do with an account -------------------------------------------


class _AccountActions:
    """Deactivate, reactivate, unlock and reset passwords of the selected accounts
    (through ``get_query``, so only accounts the view may show). Each is a change of the
    whole account: refused for all of them, with every reason, unless the caller
    administers every unit each selected account is in (``portal.accounts.reach``)."""

    def _selected(self, ids: list[str]) -> list[User]:
        try:
            wanted = [int(i) for i in ids]
        except (TypeError, ValueError):
            abort(400)
        return self.get_query().filter(User.id.in_(wanted)).all()  # type: ignore[attr-defined]  # a mixin: the ModelView has it

    def _on_each(self, ids: list[str],
                 change: Callable[[User], _Result]) -> list[tuple[str, _Result]] | None:
        """``change(user)`` for every selected account, all or nothing; the results, or
        None when refused (the reasons are flashed)."""
        try:
            with unit_of_work():
                users = self._selected(ids)
                return [(user.username, change(user)) for user in users]
        except DomainError as exc:
            refused(exc)
            return None

    @action("deactivate", _l("Deactivate"), _l("Deactivate the selected accounts?"))
    def action_deactivate(self, ids: list[str]) -> None:
        done = self._on_each(ids, lambda user: set_active(user, False, by=g.reach))
        if done is not None:
            flash(_("%(n)d accounts deactivated; they are signed out and cannot sign in.",
                    n=len(done)), "success")

    @action("reactivate", _l("Reactivate"), _l("Reactivate the selected accounts?"))
    def action_reactivate(self, ids: list[str]) -> None:
        done = self._on_each(ids, lambda user: set_active(user, True, by=g.reach))
        if done is not None:
            flash(_("%(n)d accounts reactivated.", n=len(done)), "success")

    @action("unlock", _l("Unlock"), _l("Unlock the selected accounts?"))
    def action_unlock(self, ids: list[str]) -> None:
        done = self._on_each(ids, lambda user: unlock(user, by=g.reach))
        if done is not None:
            flash(_("%(n)d accounts unlocked.", n=len(done)), "success")

    @expose("/reset-password/", methods=["POST"])
    def reset_password_view(self) -> ResponseReturnValue:
        """One account's reset, from its row or its details page: the temporary password
        is on this response only (never flashed into the session cookie, never stored)."""
        account = self.get_one(str(_id_or_404(request.form.get("id", ""))))  # type: ignore[attr-defined]  # a mixin: the ModelView has it
        if account is None:
            abort(404)
        try:
            with unit_of_work():
                temporary = reset_password(account, by=g.reach)
        except BeyondReach:
            abort(403)
        return self.render("admin/model/password_reset.html", account=account,  # type: ignore[attr-defined]  # a mixin: the ModelView has it
                           temporary=temporary,
                           return_url=self.get_url(".index_view"))  # type: ignore[attr-defined]  # a mixin: the ModelView has it

    def row_editable(self, row: User) -> bool:
        """Whether the list offers this account's edit form, reset and bulk actions."""
        return row.id not in g.get("accounts_beyond", {})

    @action("reset_password", _l("Reset password"),
            _l("Give the selected accounts a temporary password they must change?"))
    def action_reset_password(self, ids: list[str]) -> None:
        handed = self._on_each(ids, lambda user: reset_password(user, by=g.reach))
        for username, temporary in handed or []:
            flash(_("Temporary password of %(user)s: %(password)s — hand it over in person; "
                    "it must be changed at the next sign-in.", user=username,
                    password=temporary), "warning")


def _membership_text(_view: object, _context: object, user: User, _name: str) -> str:
    text = ", ".join(str(m) for m in user.memberships)   # "Cán bộ soạn thảo · Xã Một Một"
    if user.id in g.get("accounts_beyond", {}):
        text += " " + _("(and roles in units you do not administer: only its roles in your "
                        "units can be changed here)")
    return text


ACCOUNT_FORMATTERS: dict[str, Formatter] = {"memberships": _membership_text,
                                             "email_delivery": _labelled(EMAIL_DELIVERY_LABELS)}
# What an account's details page shows (never its password hash or session counter).
ACCOUNT_DETAILS = ("username", "full_name", "email", "active", "must_change_password",
                   "email_delivery", "failed_logins", "locked_until", "created_at",
                   "last_login_at", "memberships")
# A reset button on each row, beside Flask-Admin's view and edit (templates/admin/model/
# row_actions.html; a POST form, for the accounts the caller may reset).
ACCOUNT_ROW_ACTIONS = [TemplateLinkRowAction("row_actions.reset_password_row",
                                             _l("Reset password"))]


def _new_account(form: FlaskForm, unit: Callable[[], Unit | None]) -> User | bool:
    """Create the account of ``form`` (user name, full name, e-mail; a role in ``unit()``
    when there is one) with a temporary password, flashed once to be handed over; False
    when refused (the reasons are flashed)."""
    try:
        with unit_of_work():
            user = create_user(form.username.data, full_name=form.full_name.data or "",
                               email=form.email.data or None)
            where = unit()
            if where is not None:
                grant(user, where, form.role.data)
            temporary = temporary_password(user)
    except DomainError as exc:
        refused(exc)
        return False
    flash(_("Account %(user)s created. Temporary password: %(password)s — hand it over "
            "in person; it must be changed at the first sign-in.", user=user.username,
            password=temporary), "warning")
    return user


class OperatorAccountForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    full_name = StringField(_l("Full name"), validators=[Length(max=160)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    unit_code = StringField(_l("Unit code (optional: a first role)"),
                            validators=[Optional(), Length(max=32)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


def _unit_by_code(code: str | None) -> Unit | None:
    """The unit an operator names by its code (None for none); refused when unknown."""
    code = (code or "").strip()
    if not code:
        return None
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise AccountError([_("There is no unit with the code %(code)s.", code=code[:32])])
    return unit


# ---- the operators' area ------------------------------------------------------------------

# A unit's letters in its documents' numbers and its electronic identifier (the register).
IDENTITY_FIELD_ARGS: dict[str, dict[str, Any]] = {
    "abbreviation": {"label": _l("Letters in document numbers"),
                     "description": _l("As in 30/BC-SKHCN; empty: derived from the name "
                                       "(UBND for a people's committee).")},
    "electronic_id": {"label": _l("Electronic identifier"),
                      "description": _l("Decision 20/2020/QĐ-TTg: digits and capitals in "
                                        "groups separated by dots, at most 35, as in "
                                        "000.00.31.H26.")},
}


class PlatformUnitView(_OperatorView):
    can_create = False        # units come from the official lists, the CLI or a tenant admin
    column_list = ("code", "name", "kind", "admin_type", "parent", "valid_from", "valid_to")
    column_searchable_list = ("code", "name", "search_name")
    column_filters = (_label_filter(Unit.kind, _l("Kind"), UNIT_KIND_LABELS),
                      "valid_from", "valid_to")
    column_default_sort = "code"
    column_details_list = ("code", "name", "kind", "admin_type", "parent", "valid_from",
                           "valid_to", "created_at")
    form_columns = ("name", "admin_type", "valid_from", "valid_to", "abbreviation",
                    "electronic_id")
    form_overrides = {"valid_from": DayField, "valid_to": DayField}  # noqa: RUF012 - Flask-Admin's API
    form_args = IDENTITY_FIELD_ARGS

    def update_model(self, form: FlaskForm, model: Unit) -> bool:
        """The form's fields, the letters and the electronic identifier checked by the
        register (portal.register.service.set_identity); all or nothing."""
        letters, identifier = form.abbreviation.data, form.electronic_id.data
        try:
            with unit_of_work():
                form.populate_obj(model)
                set_identity(model, letters, identifier)
        except DomainError as exc:
            refused(exc)
            return False
        self.after_model_change(form, model, False)
        return True


class PlatformUserView(_AccountActions, _OperatorView):
    column_list = ("username", "full_name", "email", "active", "is_platform_admin",
                   "must_change_password", "locked_until", "last_login_at", "memberships")
    column_searchable_list = ("username", "full_name", "email")
    column_filters = ("active", "is_platform_admin", "must_change_password", "locked_until")
    can_create = True         # an account, optionally with a first role, and a temporary password
    column_formatters = ACCOUNT_FORMATTERS
    column_details_list = (*ACCOUNT_DETAILS[:3], "is_platform_admin", *ACCOUNT_DETAILS[3:])
    column_extra_row_actions = ACCOUNT_ROW_ACTIONS
    form_columns = ("full_name", "email", "is_platform_admin")
    details_template = "admin/model/account_details.html"

    def get_query(self) -> Query:
        return super().get_query().options(
            selectinload(User.memberships).selectinload(Membership.unit))

    def get_create_form(self) -> type[FlaskForm]:
        return OperatorAccountForm

    def create_model(self, form: OperatorAccountForm) -> User | bool:
        return _new_account(form, lambda: _unit_by_code(form.unit_code.data))


class _RevokesMemberships:
    """Deleting memberships (one, or the selected ones) is revoking roles: through
    ``get_query`` (so only memberships the view may show), all or nothing. Flask-Admin's
    own bulk delete compares the integer ids with the form's strings, which PostgreSQL
    refuses (``integer = character varying``)."""

    def delete_model(self, model: Membership) -> bool:
        try:
            with unit_of_work():
                revoke_membership(model)
        except DomainError as exc:
            refused(exc)
            return False
        return True

    @action("delete", _l("Delete"), _l("Revoke the selected roles?"))
    def action_delete(self, ids: list[str]) -> None:
        try:
            wanted = [int(i) for i in ids]
        except (TypeError, ValueError):
            abort(400)
        try:
            with unit_of_work():
                rows = self.get_query().filter(Membership.id.in_(wanted)).all()  # type: ignore[attr-defined]  # a mixin: the ModelView has it
                for membership in rows:
                    revoke_membership(membership)
        except DomainError as exc:
            refused(exc)
            return
        flash(_("%(n)d roles revoked.", n=len(rows)), "success")


class PlatformMembershipView(_RevokesMemberships, _OperatorView):
    can_delete = True         # revoking a role is a change of its own, audited
    column_list = ("user", "unit", "role", "created_at")
    column_searchable_list = ("role",)
    column_filters = (_label_filter(Membership.role, _l("Role"), ROLE_LABELS),)
    form_columns = ("user", "unit", "role")
    form_overrides = {"role": SelectField}  # noqa: RUF012 - Flask-Admin's API
    form_args = {"role": {"choices": ROLE_CHOICES}}  # noqa: RUF012 - Flask-Admin's API
    form_ajax_refs = {  # noqa: RUF012 - Flask-Admin's API
        "user": {"fields": ("username", "full_name"), "page_size": 20},
        "unit": {"fields": ("code", "name", "search_name"), "page_size": 20},
    }


class PlatformFrameworkView(_OperatorView):
    can_create = can_edit = False   # edited on the framework pages, with their versions
    column_list = ("id", "name", "owner_unit_id", "created_at")
    column_searchable_list = ("name",)


class PlatformPeriodView(_OperatorView):
    can_create = False
    column_list = ("framework_id", "year", "due_date", "cutoff_date", "lock_date")
    column_filters = ("year",)
    form_columns = ("due_date", "cutoff_date", "lock_date")
    form_overrides = dict.fromkeys(form_columns, DayField)


class PlatformTokenView(_OperatorView):
    can_create = can_edit = False
    column_list = ("user", "hint", "created_at", "last_used_at", "revoked_at")
    column_filters = ("revoked_at",)

    @action("revoke", _l("Revoke"), _l("Revoke the selected tokens?"))
    def action_revoke(self, ids: list[str]) -> None:
        try:
            wanted = [int(i) for i in ids]
        except (TypeError, ValueError):
            abort(400)
        with unit_of_work():
            for token in self.get_query().filter(ApiToken.id.in_(wanted)):
                revoke_tokens(token.user, token.hint)
        flash(_("Tokens revoked."), "success")


class AuditView(_OperatorView):
    """Read-only: nobody edits the audit log (the database refuses it as well)."""

    can_create = can_edit = can_delete = False
    can_export = True
    column_list = ("at", "actor", "object_type", "object_id", "action", "label", "unit_id")
    column_searchable_list = ("actor", "label", "object_type")
    column_filters = (_label_filter(AuditEntry.object_type, _l("Object"), OBJECT_TYPE_LABELS),
                      _label_filter(AuditEntry.action, _l("Change"), AUDIT_ACTION_LABELS),
                      "actor", "at", "unit_id")
    column_formatters = {"object_type": _labelled(OBJECT_TYPE_LABELS),  # noqa: RUF012 - Flask-Admin's API
                         "action": _labelled(AUDIT_ACTION_LABELS)}

    column_default_sort = ("at", True)
    action_disallowed_list = ("delete",)


# ---- the tenant administrators' area ------------------------------------------------------


class _TenantView(_View):
    """A view of the administered subtrees: ``_mine()`` says which rows, and the three
    hooks Flask-Admin reads through (lists and actions, counts, single records) apply it."""

    def is_accessible(self) -> bool:
        return _signed_in() and bool(administered_roots())

    def _mine(self) -> ColumnElement[bool]:
        raise NotImplementedError

    def get_query(self) -> Query:
        return super().get_query().filter(self._mine())

    def get_count_query(self) -> Query[Any]:
        return db.session.query(func.count(self.model.id)).filter(self._mine())

    def get_one(self, id: str) -> Any:
        return _one_or_404(self.get_query().filter(self.model.id == _id_or_404(id)))


class AccountForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    full_name = StringField(_l("Full name"), validators=[Length(max=160)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    unit = SelectField(_l("Unit"), coerce=int)
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class AccountEditForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[Length(max=160)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])


def _unit_choices() -> list[tuple[int, str]]:
    return [SelectChoice(u.id, f"{u.code} — {u.name}") for u in db.session.scalars(
        select(Unit).where(Unit.id.in_(_administered_ids())).order_by(Unit.code))]


def _administered_unit(unit_id: int) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.id == unit_id,
                                                Unit.id.in_(_administered_ids())))
    if unit is None:
        abort(404)
    return unit


def _administered_accounts() -> ColumnElement[bool]:
    """Accounts holding a role in the administered subtrees (operators never)."""
    return User.id.in_(select(Membership.user_id).where(
        Membership.unit_id.in_(_administered_ids()))) & ~User.is_platform_admin


class TenantAccountView(_AccountActions, _TenantView):
    """Accounts holding a role in the administered subtrees (operators never)."""

    can_export = True
    column_list = ("username", "full_name", "email", "active", "must_change_password",
                   "locked_until", "last_login_at", "memberships")
    column_export_list = ("username", "full_name", "email", "active", "memberships")
    column_searchable_list = ("username", "full_name", "email")
    column_filters = ("active", "must_change_password", "locked_until")
    column_formatters = ACCOUNT_FORMATTERS
    column_formatters_export = ACCOUNT_FORMATTERS
    column_details_list = ACCOUNT_DETAILS
    column_extra_row_actions = ACCOUNT_ROW_ACTIONS
    form = AccountEditForm

    list_template = "admin/model/account_list.html"
    details_template = "admin/model/account_details.html"

    def _mine(self) -> ColumnElement[bool]:
        return _administered_accounts()

    def get_query(self) -> Query:
        return super().get_query().options(
            selectinload(User.memberships).selectinload(Membership.unit))

    def get_list(self, *args: Any, **kwargs: Any) -> tuple[int | None, list[User]]:
        # Which accounts also hold roles beyond the caller's units, read before the page's
        # rows are: the list marks them and offers no account-wide change of them.
        g.accounts_beyond = accounts_beyond(g.reach)
        return super().get_list(*args, **kwargs)

    def get_one(self, id: str) -> User | None:
        g.accounts_beyond = accounts_beyond(g.reach)   # read before the record, as above
        return super().get_one(id)

    def edit_form(self, obj: User | None = None) -> FlaskForm:
        # Name and e-mail are the whole account's: refused (GET and POST alike) unless the
        # caller administers every unit the account is in.
        if obj is not None and accounts_beyond(g.reach, [obj.id]):
            abort(403)
        return super().edit_form(obj)

    def update_model(self, form: AccountEditForm, model: User) -> bool:
        try:
            with unit_of_work():
                update_account(model, by=g.reach, full_name=form.full_name.data,  # type: ignore[arg-type]  # a posted StringField: a string
                               email=form.email.data)
        except BeyondReach:
            abort(403)
        except DomainError as exc:
            refused(exc)
            return False
        return True

    def get_create_form(self) -> type[FlaskForm]:
        return AccountForm

    def create_form(self, obj: object = None) -> FlaskForm:
        form = super().create_form(obj)
        form.unit.choices = _unit_choices()
        return form

    def create_model(self, form: AccountForm) -> User | bool:
        return _new_account(form, lambda: _administered_unit(form.unit.data))


class MembershipForm(FlaskForm):
    user = SelectField(_l("Account"), coerce=int)
    unit = SelectField(_l("Unit"), coerce=int)
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class TenantMembershipView(_RevokesMemberships, _TenantView):
    can_delete = True        # revoking a role; audited
    can_edit = False         # change = revoke and grant
    column_list = ("user", "unit", "role", "created_at")
    column_filters = (_label_filter(Membership.role, _l("Role"), ROLE_LABELS),)
    form = MembershipForm

    def _mine(self) -> ColumnElement[bool]:
        return Membership.unit_id.in_(_administered_ids())

    def create_form(self, obj: object = None) -> FlaskForm:
        form = super().create_form(obj)
        form.unit.choices = _unit_choices()
        form.user.choices = [SelectChoice(u.id, f"{u.username} — {u.full_name}")
                             for u in db.session.scalars(
            select(User).where(_administered_accounts()).order_by(User.username))]
        return form

    def create_model(self, form: MembershipForm) -> Membership | bool:
        user = db.session.scalar(select(User).where(User.id == form.user.data,
                                                    _administered_accounts()))
        if user is None:
            abort(404)
        try:
            with unit_of_work():
                membership = grant(user, _administered_unit(form.unit.data), form.role.data)
        except DomainError as exc:
            refused(exc)
            return False
        return membership


class UnitForm(FlaskForm):
    parent = SelectField(_l("Parent unit"), coerce=int)
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=255)])
    kind = SelectField(_l("Kind"), choices=[
        SelectChoice(k.value, UNIT_KIND_LABELS[k]) for k in UnitKind
        if k not in (UnitKind.NATION, UnitKind.PROVINCE)])


class UnitEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=255)])
    abbreviation = StringField(**IDENTITY_FIELD_ARGS["abbreviation"],
                               validators=[Optional(), Length(max=20)])
    electronic_id = StringField(**IDENTITY_FIELD_ARGS["electronic_id"],
                                validators=[Optional(), Length(max=35)])


class TenantUnitView(_TenantView):
    column_list = ("code", "name", "kind", "parent", "valid_from", "valid_to")
    column_searchable_list = ("code", "name", "search_name")
    column_filters = (_label_filter(Unit.kind, _l("Kind"), UNIT_KIND_LABELS),)
    column_default_sort = "code"
    column_details_list = ("code", "name", "kind", "admin_type", "parent", "valid_from",
                           "valid_to", "created_at")
    form = UnitEditForm

    def _mine(self) -> ColumnElement[bool]:
        return Unit.id.in_(_administered_ids())

    def get_create_form(self) -> type[FlaskForm]:
        return UnitForm

    def create_form(self, obj: object = None) -> FlaskForm:
        form = super().create_form(obj)
        form.parent.choices = _unit_choices()
        return form

    def create_model(self, form: UnitForm) -> Unit | bool:
        parent = _administered_unit(form.parent.data)
        try:
            with unit_of_work():
                unit = add_unit(form.code.data, form.name.data, form.kind.data, parent.code)  # type: ignore[arg-type]  # DataRequired
        except DomainError as exc:
            refused(exc)
            return False
        return unit

    def update_model(self, form: UnitEditForm, model: Unit) -> bool:
        from tenants.text import nfc, search_key

        try:
            with unit_of_work():
                model.name = nfc(form.name.data.strip())  # type: ignore[union-attr]  # DataRequired
                model.search_name = search_key(model.name)
                set_identity(model, form.abbreviation.data, form.electronic_id.data)
        except DomainError as exc:
            refused(exc)
            return False
        return True


FLASK_ADMIN_BASE = "admin/base.html"


def _base_page_in_our_language(name: str) -> str | None:
    """Flask-Admin's base page (``admin/base.html``) with the page's language on ``<html>``
    (it has none, and the tag is outside every block a template could replace); every
    other template is left to the other loaders."""
    if name != FLASK_ADMIN_BASE:
        return None
    source = (resources.files("flask_admin") / "templates/bootstrap4" / name).read_text("utf-8")
    if source.count("<html>") != 1:   # a Flask-Admin upgrade changed its page: say so
        raise RuntimeError("Flask-Admin's admin/base.html no longer has one bare <html> tag")
    return source.replace("<html>", '<html lang="{{ current_locale }}">')


def _expose_flask_admin_templates(app: Flask) -> None:
    """Flask-Admin's own templates also as ``flask-admin/…``, and its base page with the
    page's language.

    ``templates/admin/actions.html`` and ``…/model/row_actions.html`` replace two of them
    (without inline ``onclick``, for the Content-Security-Policy) and import the rest of
    each original from here.
    """
    app.jinja_env.loader = ChoiceLoader([
        FunctionLoader(_base_page_in_our_language),
        app.jinja_env.loader,  # type: ignore[list-item]  # Flask always sets a loader
        PrefixLoader({"flask-admin": PackageLoader("flask_admin", "templates/bootstrap4")}),
    ])


def _our_words_over_flask_admins(app: Flask) -> None:
    """Flask-Admin's messages (its own gettext domain, "admin") read with our catalogue
    merged over its own, so that where both translate the same English text ours wins:
    its Vietnamese calls a record "kỷ lục" (a sports record) and an empty value "sản phẩm
    nào". Flask-Babel merges a domain's catalogues in the order of its directories, the
    later over the earlier; Flask-Admin's ``translations_path`` puts an application's
    catalogue *first*, under its own, so it cannot correct a message. Here the domain
    reads Flask-Admin's ``admin`` catalogue, then our ``messages`` catalogue
    (docs/administration.md § Wording)."""
    from flask_admin import babel as admin_babel
    from flask_admin import translations as admin_translations

    domain = admin_babel.domain
    domain._translation_directories = [admin_translations.__path__[0],
                                       str(Path(app.root_path) / "translations")]
    domain.domain = ["admin", "messages"]
    domain.cache.clear()


def register(app: Flask) -> None:
    """Both areas, with unique endpoints (two Admin instances on one app)."""
    _expose_flask_admin_templates(app)
    _our_words_over_flask_admins(app)
    theme = Bootstrap4Theme(swatch="default", fluid=True,
                            base_template="admin/portal_master.html")
    platform = Admin(app, name=_l("Platform administration"), url="/admin",
                     endpoint="admin", theme=theme, csp_nonce_generator=csp_nonce,
                     index_view=_Index(_is_operator, "admin/platform_index.html",
                                       url="/admin", endpoint="admin"))
    for view, model, name in (
            (PlatformUnitView, Unit, _l("Units")),
            (PlatformUserView, User, _l("Accounts")),
            (PlatformMembershipView, Membership, _l("Memberships")),
            (PlatformFrameworkView, Framework, _l("Frameworks")),
            (PlatformPeriodView, ReportingPeriod, _l("Reporting periods")),
            (PlatformTokenView, ApiToken, _l("API tokens")),
            (AuditView, AuditEntry, _l("Audit log"))):
        platform.add_view(view(model, db, name=name, url=model.__tablename__,
                               endpoint=f"platform_{model.__tablename__}"))
    platform.add_view(AccountImportView(_is_operator, lambda: select(Unit.id), _refuse,
                                        name=_l("Import accounts"), url="import-accounts",
                                        endpoint="platform_import_accounts"))
    platform.add_view(UnitImportView(_is_operator, _refuse, name=_l("Import units"),
                                     url="import-units", endpoint="platform_import_units"))
    platform.add_view(ReorganizeView(_is_operator, _refuse, name=_l("Reorganize"),
                                     url="reorganize", endpoint="platform_reorganize"))
    tenant = Admin(app, name=_l("Unit administration"), url="/unit-admin",
                   endpoint="unit_admin", theme=theme, csp_nonce_generator=csp_nonce,
                   index_view=_Index(lambda: _signed_in() and bool(administered_roots()),
                                     "admin/tenant_index.html", url="/unit-admin",
                                     endpoint="unit_admin"))
    for view, model, name in (
            (TenantAccountView, User, _l("Accounts")),
            (TenantMembershipView, Membership, _l("Memberships")),
            (TenantUnitView, Unit, _l("Units"))):
        tenant.add_view(view(model, db, name=name, url=model.__tablename__,
                             endpoint=f"tenant_{model.__tablename__}"))
    tenant.add_view(AccountImportView(lambda: _signed_in() and bool(administered_roots()),
                                      _administered_ids, _refuse, name=_l("Import accounts"),
                                      url="import-accounts", endpoint="tenant_import_accounts"))
