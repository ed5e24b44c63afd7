"""Bulk onboarding in the two administration areas: accounts from a spreadsheet (both
areas; a tenant administrator only into the units they administer) and units from the
official lists (operators). Each upload is checked and previewed first — every row's
problem listed, nothing written — and applied all or nothing on confirmation."""

from __future__ import annotations

import base64
import binascii
import csv
import io
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, abort, flash, request
from flask.typing import ResponseReturnValue
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import Select, select

from portal.accounts.onboarding import Handover, create_accounts, read_accounts, template_rows
from portal.accounts.service import AccountError
from portal.export_cells import csv_row, workbook_bytes
from portal.extensions import db
from portal.problems import DomainError
from portal.spreadsheets import TableError
from portal.unit_of_work import unit_of_work
from tenants.tree import CSV_COLUMNS, TreeError, import_units, read_unit_csv
from tenants.unit import Unit

MAX_UPLOAD = 2 * 1024 * 1024


def refused(error: DomainError) -> None:
    """Say every reason of a refusal (the page shows them above the form); the
    ``unit_of_work()`` it came out of has already undone the attempt."""
    for problem in error.messages:
        flash(problem, "error")


def _upload() -> tuple[str, bytes] | None:
    """The file sent now, or the one carried by the preview's confirmation form."""
    sent = request.files.get("file")
    if sent is not None and sent.filename:
        return sent.filename, sent.read(MAX_UPLOAD + 1)
    carried = request.form.get("carried", "")
    if carried:
        try:
            return request.form.get("filename", "upload.csv"), base64.b64decode(
                carried, validate=True)
        except (binascii.Error, ValueError):
            abort(400)
    return None


_T = TypeVar("_T")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(csv_row(row) for row in rows)
    return out.getvalue()


def _table_file(rows: list[list[str]], basename: str, extension: str) -> Response:
    """``rows`` as a file to download: .xlsx, or .csv in UTF-8 with a byte-order mark (so
    Excel reads the diacritics); 404 for any other extension."""
    if extension == "xlsx":
        book = Workbook()
        sheet = book.active
        for row in rows:
            sheet.append(row)  # type: ignore[union-attr]  # a new workbook has its sheet
        data, mimetype = workbook_bytes(book), XLSX
    elif extension == "csv":
        data, mimetype = _csv_text(rows).encode("utf-8-sig"), "text/csv; charset=utf-8"
    else:
        abort(404)
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{basename}.{extension}"'})


def handover_download(handed: list[Handover]) -> str:
    """The sheet's passwords as a CSV file inside the page (a data: link): downloading
    it asks the server nothing, since the server no longer has them."""
    rows = [[_("Full name"), _("Unit"), _("User name"), _("Temporary password")],
            *[list(h) for h in handed]]
    data = base64.b64encode(_csv_text(rows).encode("utf-8-sig")).decode()
    return f"data:text/csv;charset=utf-8;base64,{data}"


def _dry_run_unless(confirm: bool, change: Callable[[], _T]) -> _T:
    """``change()``'s result; unless confirmed, in a savepoint rolled back afterwards (a
    dry run shows what would change and keeps nothing). Run inside ``unit_of_work()``."""
    if confirm:
        return change()
    savepoint = db.session.begin_nested()
    try:
        return change()
    finally:
        if savepoint.is_active:
            savepoint.rollback()


class _GuardedView(BaseView):
    """``allowed`` says who may open the view, ``refuse`` answers everyone else."""

    def __init__(self, allowed: Callable[[], bool], refuse: Callable[[], ResponseReturnValue],
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._allowed, self._refuse = allowed, refuse

    def is_accessible(self) -> bool:
        return self._allowed()

    def inaccessible_callback(self, name: str, **kwargs: Any) -> ResponseReturnValue:
        return self._refuse()


class AccountImportView(_GuardedView):
    """``allowed_units`` gives the unit ids the caller may grant roles in."""

    def __init__(self, allowed: Callable[[], bool], allowed_units: Callable[[], Select[tuple[int]]],
                 refuse: Callable[[], ResponseReturnValue], **kwargs: Any) -> None:
        super().__init__(allowed, refuse, **kwargs)
        self._allowed_units = allowed_units

    @expose("/", methods=["GET", "POST"])
    def index(self) -> ResponseReturnValue:
        upload = _upload() if request.method == "POST" else None
        if upload is None:
            if request.method == "POST":
                flash(_("Choose a CSV or Excel file."), "error")
            return self.render("admin/import_accounts.html", result=None)
        filename, data = upload
        if len(data) > MAX_UPLOAD:
            flash(_("The file is larger than 2 MB; split it."), "error")
            return self.render("admin/import_accounts.html", result=None), 413
        try:
            result = read_accounts(filename, data, self._allowed_units())
        except TableError as exc:
            flash(str(exc), "error")
            return self.render("admin/import_accounts.html", result=None), 422
        if request.form.get("confirm") != "yes" or not result.ok:
            return self.render("admin/import_accounts.html", result=result, filename=filename,
                               carried=base64.b64encode(data).decode()), \
                200 if result.ok else 422
        try:
            with unit_of_work():
                handed = create_accounts(result)
        except AccountError as exc:
            refused(exc)
            return self.render("admin/import_accounts.html", result=None), 422
        # The temporary passwords exist in clear only in this response (the accounts keep
        # their hashes): the sheet to print and its download are this page.
        response = Response(self.render("admin/handover_sheet.html", handed=handed,
                                        download=handover_download(handed)))
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/template.<extension>")
    def template(self, extension: str) -> ResponseReturnValue:
        """The file to fill in: the expected header and one example row, in a unit the
        caller may give roles in."""
        example = db.session.scalar(select(Unit.code).where(
            Unit.id.in_(self._allowed_units())).order_by(Unit.code).limit(1))
        return _table_file(template_rows(example or "MA-DON-VI"), "mau-nhap-tai-khoan",
                           extension)


# The unit import's template: the columns of the official lists (tenants.tree.CSV_COLUMNS)
# and a district with one commune below it.
UNIT_TEMPLATE = [list(CSV_COLUMNS),
                 ["D99", "Huyện Mẫu", "huyện", "2", ""],
                 ["C991", "Xã Mẫu Một", "xã", "3", "D99"]]


class UnitImportView(_GuardedView):
    """Units from an official list (the format of shared/data), for operators."""

    @expose("/template.<extension>")
    def template(self, extension: str) -> ResponseReturnValue:
        """The file to fill in (CSV: the importer reads CSV only)."""
        if extension != "csv":
            abort(404)
        return _table_file(UNIT_TEMPLATE, "mau-nhap-don-vi", extension)

    @expose("/", methods=["GET", "POST"])
    def index(self) -> ResponseReturnValue:
        upload = _upload() if request.method == "POST" else None
        if upload is None:
            return self.render("admin/import_units.html", preview=None)
        filename, data = upload
        under = request.form.get("under", "").strip() or None
        only = request.form.get("only", "").strip() or None
        if under and db.session.scalar(select(Unit.id).where(Unit.code == under)) is None:
            flash(_("There is no unit %(code)s to attach the file's units to.", code=under),
                  "error")
            return self.render("admin/import_units.html", preview=None), 422
        confirm = request.form.get("confirm") == "yes"
        try:
            with unit_of_work():
                result = _dry_run_unless(confirm, lambda: import_units(
                    read_unit_csv(data), under=under, only=only))
        except TreeError as exc:
            return self.render("admin/import_units.html", preview=None,
                               problems=exc.messages), 422
        if not confirm:           # a dry run: show what would change, nothing was kept
            return self.render("admin/import_units.html", preview=result, filename=filename,
                               under=under or "", only=only or "",
                               carried=base64.b64encode(data).decode())
        flash(_("%(created)d units imported, %(unchanged)d already present.",
                created=result.created, unchanged=result.unchanged), "success")
        return self.render("admin/import_units.html", preview=None)


class ReorganizeView(_GuardedView):
    """Apply a reorganization mapping (operators): a dry run listing every change or every
    problem, then all or nothing on confirmation."""

    @expose("/", methods=["GET", "POST"])
    def index(self) -> ResponseReturnValue:
        from flask_login import current_user

        from portal.dates import DateError, parse_date
        from portal.reorganization import ReorganizationError, apply, read_mapping

        upload = _upload() if request.method == "POST" else None
        if upload is None:
            return self.render("admin/reorganize.html", summary=None)
        filename, data = upload
        parent = request.form.get("parent", "").strip()
        try:
            effective = parse_date(request.form.get("effective"))
            if effective is None:
                raise DateError(_("Give the effective date (dd/mm/yyyy)."))
            mappings = read_mapping(filename, data)
        except (DateError, TableError, ReorganizationError) as exc:
            return self.render("admin/reorganize.html", summary=None,
                               problems=exc.messages), 422
        confirm = request.form.get("confirm") == "yes"
        try:
            with unit_of_work():
                summary = _dry_run_unless(confirm, lambda: apply(
                    mappings, effective, parent, source=filename, user_id=current_user.id))
        except ReorganizationError as exc:
            return self.render("admin/reorganize.html", summary=None,
                               problems=exc.messages), 422
        if not confirm:
            return self.render("admin/reorganize.html", summary=summary, dry_run=True,
                               filename=filename, parent=parent,
                               effective=effective.strftime("%d/%m/%Y"),
                               carried=base64.b64encode(data).decode())
        return self.render("admin/reorganize.html", summary=summary, dry_run=False)
