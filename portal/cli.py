"""Command line (``flask …``); the commands are a stable interface (ENGINEERING.md).

Each command runs in the audited system scope — the operator at the console is
the platform — and commits once at the end, or not at all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from portal.extensions import db
from portal.jobs import QUEUES
from portal.problems import DomainError
from portal.unit_of_work import unit_of_work
from tenants.scoping import system_scope

if TYPE_CHECKING:
    from portal.frameworks.parser import Node
    from portal.reports.consolidation import Consolidation


def _fail(problems: list[str]) -> NoReturn:
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    sys.exit(1)


def transactional(reason: str) -> Callable:
    """Run the command in a system scope; commit on success, roll back on any error.

    A ``DomainError`` (any refusal of the domain) is printed problem by problem and the
    command exits 1; anything else is a bug and goes on as a traceback.
    """

    def decorate(func: Callable) -> Callable:
        @wraps(func)
        def wrapper(*args: object, **kwargs: object) -> object:
            from portal.audit.capture import acting_as

            try:
                with acting_as(f"system: {reason}"), system_scope(reason), unit_of_work():
                    return func(*args, **kwargs)  # committed inside: the audit names us
            except DomainError as exc:
                _fail(exc.messages)

        return wrapper

    return decorate


def _parse_day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    from portal.dates import DateError, parse_date

    try:
        return parse_date(value)
    except DateError as exc:
        raise click.BadParameter(str(exc)) from None


units_cli = AppGroup("units", help="The unit tree.")
users_cli = AppGroup("users", help="Accounts, memberships and API tokens.")
demo_cli = AppGroup("demo", help="Demo data.")
frameworks_cli = AppGroup("frameworks", help="Plans as structured data.")


@units_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--under", help="Attach the file's top-level units below this unit code.")
@click.option("--only", help="Import only this unit of the file and everything below it.")
@click.option("--valid-from", callback=_parse_day, help="Date the units are valid from.")
@click.option("--valid-to", callback=_parse_day, help="Date the units stop being valid.")
@transactional("units import from the command line")
def units_import(file: Path, under: str | None, only: str | None,
                 valid_from: date | None, valid_to: date | None) -> None:
    """Import units from a CSV (code,name,type,level,parent_code), all or nothing."""
    from tenants.tree import import_units, read_unit_csv

    result = import_units(read_unit_csv(file.read_bytes()), under=under, only=only,
                          valid_from=valid_from, valid_to=valid_to)
    click.echo(f"imported {result.created} units, {result.unchanged} already present")


@units_cli.command("reorganize")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--effective", required=True, callback=_parse_day,
              help="The date the new units exist from (dd/mm/yyyy).")
@click.option("--parent", "parent_code", required=True,
              help="The unit the new units go under (the province).")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
def units_reorganize(file: Path, effective: date, parent_code: str, dry_run: bool) -> None:
    """Apply a reorganization mapping (old_code,new_code,new_name), all or nothing."""
    from portal.audit.capture import acting_as
    from portal.reorganization import apply, read_mapping

    try:
        with acting_as("system: flask units reorganize"), \
                system_scope("reorganization from the command line"):
            summary = apply(read_mapping(file.name, file.read_bytes()), effective,
                            parent_code, source=file.name)
            if dry_run:
                db.session.rollback()
            else:
                db.session.commit()
    except DomainError as exc:  # a refused mapping, or a file that is not a table
        db.session.rollback()
        _fail(exc.messages)
    click.echo(("dry run, nothing changed: " if dry_run else "applied: ") +
               f"{len(summary.created)} units created, {len(summary.closed)} closed, "
               f"{len(summary.closed_above)} units above closed, "
               f"{len(summary.memberships_moved)} memberships moved, "
               f"{len(summary.memberships_flagged)} to review, "
               f"{summary.reports_kept} reports and {summary.plans_kept} plans kept with "
               f"their units")
    for line in summary.memberships_flagged:
        click.echo(f"  to review: {line}")


@units_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--kind", required=True, help="nation, province, department, district, "
              "commune or office.")
@click.option("--parent", "parent_code", help="Code of the parent unit (none for a root).")
@click.option("--valid-from", callback=_parse_day)
@transactional("units add from the command line")
def units_add(code: str, name: str, kind: str, parent_code: str | None,
              valid_from: date | None) -> None:
    """Add one unit."""
    from tenants.tree import add_unit

    unit = add_unit(code, name, kind, parent_code, valid_from=valid_from)
    click.echo(f"added {unit.code} {unit.name}")


@users_cli.command("create")
@click.argument("username")
@click.option("--unit", "unit_code", help="Code of the unit of the membership.")
@click.option("--role", help="drafter, head, reviewer, consolidator, leader or admin.")
@click.option("--password", help="Initial password (prompted for when omitted).")
@click.option("--full-name", default="", help="The person's name.")
@click.option("--email")
@click.option("--platform-admin", is_flag=True, help="Make the account a platform operator.")
@transactional("users create from the command line")
def users_create(username: str, unit_code: str | None, role: str | None,
                 password: str | None, full_name: str, email: str | None,
                 platform_admin: bool) -> None:
    """Create an account with one membership, or add the membership if it exists."""
    from portal.accounts.service import AccountError, create_user, find_user, grant
    from tenants.unit import Unit

    if not platform_admin and not (unit_code and role):
        raise AccountError(["give --unit and --role, or --platform-admin"])
    unit = None
    if unit_code:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise AccountError([f"unit {unit_code} does not exist"])
    user = find_user(username)
    if user is None:
        if password is None and sys.stdin.isatty():
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        user = create_user(username, password, full_name=full_name, email=email,
                           platform_admin=platform_admin)
        click.echo(f"created account {user.username}")
    elif platform_admin and not user.is_platform_admin:
        user.is_platform_admin = True
        click.echo(f"{user.username} is now a platform operator")
    if unit is not None and role:
        grant(user, unit, role)
        click.echo(f"{user.username}: {role} in {unit.code} {unit.name}")


@users_cli.command("token")
@click.argument("username")
@transactional("users token from the command line")
def users_token(username: str) -> None:
    """Print a new API token for the account (it is shown only this once)."""
    from portal.accounts.service import AccountError, find_user, issue_token

    user = find_user(username)
    if user is None:
        raise AccountError([f"no account {username}"])
    click.echo(issue_token(user))


@users_cli.command("revoke-token")
@click.argument("username")
@click.argument("hint", required=False)
@transactional("users revoke-token from the command line")
def users_revoke_token(username: str, hint: str | None) -> None:
    """Revoke the account's API tokens starting with HINT (all of them without HINT)."""
    from portal.accounts.service import AccountError, find_user, revoke_tokens

    user = find_user(username)
    if user is None:
        raise AccountError([f"no account {username}"])
    click.echo(f"revoked {revoke_tokens(user, hint)} tokens")


@users_cli.command("set-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@transactional("users set-password from the command line")
def users_set_password(username: str, password: str) -> None:
    """Set an account's password (signs out its sessions)."""
    from portal.accounts.service import AccountError, find_user, set_password

    user = find_user(username)
    if user is None:
        raise AccountError([f"no account {username}"])
    set_password(user, password)
    click.echo(f"password of {user.username} changed")


@demo_cli.command("seed")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the official unit lists (default: portal/data).")
@click.option("--legacy", is_flag=True,
              help="Only old Hưng Yên before 1 July 2025 (10 districts, 139 communes).")
@transactional("demo seed")
def demo_seed(data_dir: Path | None, legacy: bool) -> None:
    """Load the demo province: new Hưng Yên as it is today, with its history since 2025
    (with --legacy: old Hưng Yên alone, in the legacy structure)."""
    from portal.demo import seed

    for line in seed(data_dir, legacy_only=legacy):
        click.echo(line)


@demo_cli.command("reports")
@transactional("demo reports")
def demo_reports() -> None:
    """Issue plans and file 2025 and 2026 reports for most demo units (for the dashboard)."""
    from portal.demo import seed_reports

    for line in seed_reports():
        click.echo(line)


@demo_cli.command("reorganize")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the official lists and the mapping (default: portal/data).")
def demo_reorganize(data_dir: Path | None) -> None:
    """Apply the real 1 July 2025 mapping to the demo's legacy Hưng Yên (with Thái Bình)."""
    from portal.audit.capture import acting_as
    from portal.demo import reorganize_2025

    try:
        with acting_as("system: flask demo reorganize"), system_scope("demo reorganization"):
            for line in reorganize_2025(data_dir):
                click.echo(line)
            db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        _fail(exc.messages)


@frameworks_cli.command("parse")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the structure as JSON.")
def frameworks_parse(file: Path, as_json: bool) -> None:
    """Parse a plan document (.txt or .docx) and print its structure."""
    import json

    from portal.frameworks.parser import DocumentError, parse_file

    try:
        result = parse_file(file.name, file.read_bytes())
    except DocumentError as exc:
        _fail([str(exc)])
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    for key, value in result.meta.items():
        click.echo(f"{key}: {value if value is not None else '—'}")
    click.echo("")

    def show(nodes: list[Node], prefix: str = "", depth: int = 0) -> None:
        for node in nodes:
            path = f"{prefix}.{node.label}" if prefix else node.label
            words = node.title or node.text
            click.echo(f"{'  ' * depth}{path}  {words[:90]}{'…' if len(words) > 90 else ''}")
            show(node.children, path, depth + 1)

    show(result.outline)
    if result.warnings:
        click.echo("")
    for warning in result.warnings:
        at = f" at {warning.at}" if warning.at else ""
        click.echo(f"warning ({warning.code}){at}: {warning.message}")


@frameworks_cli.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--owner", "owner_code", required=True, help="Code of the owning unit.")
@click.option("--name", help="The framework's name (default: the document's title).")
@click.option("--number", help="Number and symbol, when the document lacks them.")
@click.option("--issued", "issued_on", help="Date issued (dd/mm/yyyy), when missing.")
@click.option("--issuer", help="Issuing body, when missing.")
@click.option("--preset", type=click.Choice(["plan-108"]), help="Indicator settings to apply.")
@click.option("--periods", help="Years to open reporting periods for, e.g. 2025-2030.")
@click.option("--parent", "parent_id", type=int, help="Id of the framework it implements.")
@click.option("--publish", is_flag=True, help="Publish the version at once.")
@transactional("frameworks load from the command line")
def frameworks_load(file: Path, owner_code: str, name: str | None, number: str | None,
                    issued_on: str | None, issuer: str | None, preset: str | None,
                    periods: str | None, parent_id: int | None, publish: bool) -> None:
    """Load a plan document as a framework owned by a unit."""
    from portal.frameworks.loading import load_framework

    framework = load_framework(file.name, file.read_bytes(), owner_code, name=name,
                               number=number, issued_on=issued_on, issuer=issuer,
                               preset=preset, periods=periods, parent_id=parent_id,
                               publish=publish)
    if periods:
        from portal.reports.obligations import add_default_obligation

        obligation = add_default_obligation(framework)   # its units to DOST, by the periods'
        click.echo(f"reporting obligation: {obligation.name} (the default)")
    if preset:
        from portal.validation.presets import add_preset_rules

        click.echo(f"validation rules: {add_preset_rules(framework, preset)} added")
    version = framework.versions[-1]
    click.echo(f"framework {framework.id}: {framework.name[:80]} — version {version.number} "
               f"({version.status})")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then stop.")
@click.option("--queue", "queues", multiple=True, type=click.Choice(QUEUES),
              help="Listen on this queue only (repeatable); default: all of them.")
def worker(burst: bool, queues: tuple[str, ...]) -> None:
    """Run an RQ worker for the platform's queues, with the scheduler (needs REDIS_URL).

    The app is the one the Flask CLI built from FLASK_APP; each job runs in a forked work
    horse on database connections of its own (portal.worker.AppWorker).
    """
    from flask import current_app

    from portal.jobs import redis_connection
    from portal.worker import build_worker

    if not current_app.config.get("REDIS_URL"):
        _fail(["set REDIS_URL: without Redis the jobs run in the web process itself"])
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy has it
    runner = build_worker(app, queues or QUEUES, connection=redis_connection())
    # at start: stuck consolidations settled, the reminders booked (again, if Redis lost
    # them); the same happens at every maintenance pass (portal.worker.AppWorker)
    recovered = runner.recover()
    settled: list[tuple[int, str]] = recovered.get("consolidations", [])  # type: ignore[assignment]  # recover() returns this list under that key
    for row_id, what in settled:
        click.echo(f"consolidation {row_id} {what}")
    click.echo(f"reminders booked: {recovered.get('reminders')}")
    click.echo(f"digest booked: {recovered.get('digest')}")
    runner.work(burst=burst, with_scheduler=True)


consolidations_cli = AppGroup("consolidations",
                              help="Consolidation runs: list and clear stuck ones.")


def _under_way(consolidation_id: int | None) -> list[Consolidation]:
    from portal.reports.consolidation import Consolidation, RunStatus

    statement = select(Consolidation).where(Consolidation.status.in_(
        [RunStatus.QUEUED.value, RunStatus.RUNNING.value])).order_by(Consolidation.id)
    if consolidation_id is not None:
        statement = statement.where(Consolidation.id == consolidation_id)
    return list(db.session.scalars(statement))


@consolidations_cli.command("stuck")
def consolidations_stuck() -> None:
    """List the queued and running consolidations, and whether their job is alive."""
    from portal.reports.stuck_runs import verdict

    with system_scope("consolidations stuck from the command line"):
        rows = _under_way(None)
        for row in rows:
            found = verdict(row)
            click.echo(f"{row.id}\t{row.year}\tunit {row.unit_id}\t{row.status} "
                       f"{row.progress}%\t{found.state}"
                       + (f"\t{found.reason}" if found.reason else ""))
        db.session.rollback()
    click.echo(f"{len(rows)} under way")


@consolidations_cli.command("clear")
@click.option("--id", "consolidation_id", type=int, default=None,
              help="This run only (default: every run whose job is dead).")
@click.option("--fail", "fail_it", is_flag=True,
              help="Mark it failed instead of taking it over, even if its job looks alive "
                   "(needs --id).")
def consolidations_clear(consolidation_id: int | None, fail_it: bool) -> None:
    """Take over (queue again) or mark failed the runs whose job is dead."""
    from flask_babel import gettext as _

    from portal import clock
    from portal.reports.consolidation import ConsolidationStep, RunStatus
    from portal.reports.stuck_runs import stop_job, sweep

    if fail_it and consolidation_id is None:
        _fail(["--fail needs --id: say which run to mark failed"])
    with system_scope("consolidations clear from the command line"):
        rows = _under_way(consolidation_id)
        if consolidation_id is not None and not rows:
            _fail([f"consolidation {consolidation_id} is not queued or running"])
        if fail_it:
            row = rows[0]
            row.status, row.progress = RunStatus.FAILED.value, 100
            row.step, row.finished_at = ConsolidationStep.FAILED.value, clock.now()
            row.error = _("Stopped by an operator.")
            db.session.commit()
            # …and its job stopped and forgotten, so that it cannot run on (or be retried)
            # and bring the run back after the operator's word
            click.echo(f"consolidation {row.id} marked failed; " + stop_job(row))
            return
        done = sweep(rows)
        db.session.commit()
    for row_id, what in done:
        click.echo(f"consolidation {row_id} {what}")
    click.echo(f"{len(done)} cleared")


reminders_cli = AppGroup("reminders", help="Reminders of reports coming due and overdue.")


@reminders_cli.command("send")
@click.option("--date", "day", default=None, help="Run for this day (YYYY-MM-DD); default today.")
@click.option("--queue", "use_queue", is_flag=True,
              help="Hand the run to the RQ worker instead of running it here.")
def reminders_send(day: str | None, use_queue: bool) -> None:
    """Send today's reminders (safe to run again: nobody is told twice)."""
    from datetime import date

    from portal import clock
    from portal.notifications.reminders import queue_reminders, send_reminders

    try:
        when = date.fromisoformat(day) if day else clock.today()
    except ValueError:
        _fail([f"not a date (YYYY-MM-DD): {day}"])
    if use_queue:
        click.echo(f"queued: {queue_reminders(when)}")
        return
    sent = send_reminders(when)
    for line in sent.periods:
        click.echo(f"period {line}")
    click.echo(f"{sent.notifications} notifications, {sent.emails} e-mails, "
               f"{sent.email_failures} e-mail failures")


notifications_cli = AppGroup("notifications", help="Notices of the reports' workflow steps.")


@notifications_cli.command("digest")
@click.option("--date", "day", default=None, help="The digest of this day (YYYY-MM-DD); "
              "default today.")
def notifications_digest(day: str | None) -> None:
    """Send the daily digest of workflow notices now (safe to run again: nothing twice)."""
    from datetime import date

    from portal import clock
    from portal.notifications.workflow import send_digest

    try:
        when = date.fromisoformat(day) if day else clock.today()
    except ValueError:
        _fail([f"not a date (YYYY-MM-DD): {day}"])
    done = send_digest(when)
    click.echo(f"{done.people} digests with {done.notices} notices, "
               f"{done.failures} e-mail failures")


validation_cli = AppGroup("validation", help="Validation rules of the frameworks.")


@validation_cli.command("add-rules")
@click.option("--framework", "framework_id", type=int,
              help="Id of the framework (default: every Plan 108 framework).")
@transactional("validation add-rules from the command line")
def validation_add_rules(framework_id: int | None) -> None:
    """Add Plan 108's validation rules the framework lacks (idempotent, by name)."""
    from portal.frameworks.framework import Framework
    from portal.validation.presets import add_preset_rules, plan_108_frameworks

    frameworks = plan_108_frameworks() if framework_id is None else [
        f for f in [db.session.get(Framework, framework_id)] if f is not None]
    if not frameworks:
        _fail(["no such framework" if framework_id else "no Plan 108 framework"])
    for framework in frameworks:
        click.echo(f"framework {framework.id}: {add_preset_rules(framework)} rules added")


def register(app: Flask) -> None:
    app.cli.add_command(worker)
    for group in (units_cli, users_cli, demo_cli, frameworks_cli, reminders_cli,
                  notifications_cli, consolidations_cli, validation_cli):
        app.cli.add_command(group)
