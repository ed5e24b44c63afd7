"""The application factory, assembled from small ``register_*`` steps (the composition root)."""

from __future__ import annotations

import os
import sqlite3

from flask import Flask, Response, g, request, session
from flask_babel import lazy_gettext
from flask_login import current_user
from sqlalchemy.engine import Connection, Engine
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from portal.config import Config, config_for, sqlite_default_uri
from portal.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
from portal.observability import configure_logging


def create_app(config: type[Config] | str | None = None, **overrides: object) -> Flask:
    """Build the app; ``config`` is a config class or a ``PORTAL_ENV`` name."""
    # Named after the package whose folder holds static/ and translations/ (root_path).
    app = Flask("portal", instance_relative_config=True,
                template_folder="../templates", static_folder="static")
    configure(app, config, overrides)
    register_extensions(app)
    register_observability(app)
    register_tenancy(app)
    register_domain_events(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_context(app)
    register_security(app)
    register_cli(app)
    return app


def configure(app: Flask, config: type[Config] | str | None, overrides: dict) -> None:
    config_class = config if isinstance(config, type) else config_for(config)
    app.config.from_object(config_class)
    # Read the environment now, not at import: tests and commands set it late.
    for key, env in (("SQLALCHEMY_DATABASE_URI", "DATABASE_URL"),
                     ("MIGRATION_DATABASE_URL", "MIGRATION_DATABASE_URL"),
                     ("REDIS_URL", "REDIS_URL")):
        if os.environ.get(env):
            app.config[key] = os.environ[env]
    if os.environ.get("DATABASE_TRANSACTION_POOLER"):
        app.config["DATABASE_TRANSACTION_POOLER"] = os.environ["DATABASE_TRANSACTION_POOLER"] == "1"
    if os.environ.get("READ_DATABASE_URL"):
        app.config["READ_DATABASE_URL"] = os.environ["READ_DATABASE_URL"]
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = sqlite_default_uri(app.instance_path)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):  # the old scheme some hosts still hand out
        uri = "postgresql://" + uri.removeprefix("postgres://")
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if app.config["DATABASE_TRANSACTION_POOLER"] and uri.startswith("postgresql+psycopg://"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": None}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if app.config.get("READ_DATABASE_URL"):   # the replica's engine: the same options
        from portal.read_routing import BIND, replica_url

        app.config["SQLALCHEMY_BINDS"] = {
            **app.config.get("SQLALCHEMY_BINDS", {}),
            BIND: {**app.config["SQLALCHEMY_ENGINE_OPTIONS"],
                   "url": replica_url(app.config["READ_DATABASE_URL"])}}
    if config_class.ENV_NAME == "production" and not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in production (see README § Production)")
    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    if app.config["PROXY_COUNT"]:  # behind nginx or a load balancer: trust its headers
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]  # as Flask's docs do


def register_domain_events(_app: Flask) -> None:
    """Subscribe the packages that follow the report loop (the domain's are acyclic)."""
    from portal.dashboard.service import progress_for_snapshot
    from portal.notifications.workflow import notify_transition
    from portal.reports.consolidation import on_snapshot
    from portal.reports.events import on_submission, on_transition
    from portal.validation.service import require_explained

    on_transition(notify_transition)
    on_submission(require_explained)
    on_snapshot(progress_for_snapshot)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "..", "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    mail.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # Flask-Login's own request is English ("Please log in to access this page."): ours,
    # from the catalogue, in the language of the request that is refused.
    login_manager.login_message = lazy_gettext("Please sign in to open this page.")
    login_manager.localize_callback = str
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    with app.app_context():
        _configure_sqlite(db.engine)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        """End the request's session even when its connection died under it (PostgreSQL
        restarted mid-request): the rollback fails, the connection is discarded, and the
        answer already made (a 503) is not turned into a 500. Runs before
        Flask-SQLAlchemy's own teardown, which then finds nothing left to close."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            db.session.remove()
        except SQLAlchemyError as exc:
            app.logger.warning("discarding a session whose connection failed: %s",
                               str(exc).splitlines()[0])
            db.session.registry.clear()


def _select_locale() -> str:
    from flask import current_app, has_request_context

    languages = current_app.config["LANGUAGES"]
    if has_request_context() and session.get("lang") in languages:
        return session["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, and real transactions (the pysqlite recipe of SQLAlchemy's docs).

    Python's sqlite3 driver otherwise starts transactions late and breaks SAVEPOINT.
    Transactions begin IMMEDIATE: two requests writing at once then queue (for the
    driver's busy timeout) instead of one failing with "database is locked"; the
    embedded SQLite mode serves one office, PostgreSQL serves a province.
    """
    if engine.dialect.name != "sqlite":
        return
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def register_observability(app: Flask) -> None:
    """A request id on every request, its log lines and its audit entries."""
    from portal.observability import register

    register(app)


def register_security(app: Flask) -> None:
    """Security headers and the Content-Security-Policy nonce."""
    from portal.security import register

    register(app)


def register_tenancy(app: Flask) -> None:
    """Bind each request to the caller's reach; install row-level security settings."""
    import portal.audit.capture  # registers the audit log listeners
    import portal.models  # noqa: F401 - every model mapped before the guard looks
    import tenants.scoping  # noqa: F401 - registers the ORM guard listeners
    from portal import read_routing
    from portal.accounts.user import User
    from portal.auth import load_user_from_request, load_user_from_session
    from tenants import rls
    from tenants.access import ANONYMOUS, reach_of
    from tenants.scoping import bind_scope, unbind_scope

    login_manager.user_loader(load_user_from_session)
    login_manager.request_loader(load_user_from_request)

    with app.app_context():
        rls.install(db.engine)
        if app.config.get("READ_DATABASE_URL"):
            rls.install(db.engines[read_routing.BIND])   # the same policies apply there
    read_routing.register(app, db)   # before any hook below reads the database

    @app.before_request
    def _bind_reach() -> None:
        user = current_user._get_current_object() if current_user else None
        if isinstance(user, User) and user.is_authenticated:
            g.reach = reach_of(user.id, user.is_platform_admin)
            g.user_id = user.id  # for logs and headers, which must not load the user
        else:
            g.reach = ANONYMOUS
        g._scope_token = bind_scope(g.reach.scope)

    @app.teardown_request
    def _unbind_reach(_exc: BaseException | None) -> None:
        token = g.pop("_scope_token", None)
        if token is not None:
            unbind_scope(token)


class RecordId(IntegerConverter):
    """``<int:…>`` in every route: at most a 64-bit integer, the largest id or year the
    database holds. A longer number is no address of ours (404), not a database error."""

    def __init__(self, url_map: Map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = 2**63 - 1, signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits, min, max, signed)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = RecordId  # before any route is added
    from blueprints.api.views import bp as api_bp
    from blueprints.audit.views import bp as audit_bp
    from blueprints.auth.views import bp as auth_bp
    from blueprints.consolidations.views import bp as consolidations_bp
    from blueprints.dashboard.views import bp as dashboard_bp
    from blueprints.evidence.views import bp as evidence_bp
    from blueprints.frameworks.views import bp as frameworks_bp
    from blueprints.health.views import bp as health_bp
    from blueprints.notifications.views import bp as notifications_bp
    from blueprints.outliers.views import bp as outliers_bp
    from blueprints.plans.documents import bp as plans_bp  # the plan pages and documents
    from blueprints.register.views import bp as register_bp
    from blueprints.reports.documents import bp as reports_bp  # the report pages and documents
    from blueprints.review.views import bp as review_bp
    from blueprints.signing.views import bp as signing_bp
    from blueprints.units.views import bp as units_bp
    from blueprints.validation.views import bp as validation_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(units_bp)
    app.register_blueprint(frameworks_bp)
    app.register_blueprint(plans_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(consolidations_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(outliers_bp)
    app.register_blueprint(validation_bp)
    app.register_blueprint(register_bp)
    app.register_blueprint(signing_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # bearer tokens only: a browser never sends them on its own

    from blueprints.admin.views import register as register_admin

    register_admin(app)


def register_errorhandlers(app: Flask) -> None:
    from portal import request_limits
    from portal.errors import register

    register(app)
    request_limits.register(app)   # body sizes per kind of request; JSON depth (400)


def register_template_context(app: Flask) -> None:
    from flask_babel import format_decimal, get_locale

    from portal import clock, labels
    from portal.audit.service import shown_value

    @app.template_filter("number")
    def _number(value: object) -> str:
        """A number in the reader's convention: 1.234,5 in Vietnamese, 1,234.5 in English."""
        return "" if value is None else format_decimal(value, format="#,##0.####")

    # The one conversion of times for pages: clock.shown / clock.shown_day.
    app.add_template_filter(clock.shown, "moment")
    app.add_template_filter(clock.shown_day, "day")
    app.add_template_filter(shown_value, "recorded")   # an audit log value (ISO times)
    # Every enum's label (defined beside its enum): kind_label(v), role_label(v) …
    app.jinja_env.globals.update(labels.template_globals())

    @app.template_test("total_label")
    def _total_label(text: str) -> bool:
        """Does a label already say it is a total ("tổng số …", "total …")?"""
        return text.startswith(("tổng", "total"))

    @app.context_processor
    def _inject() -> dict:
        return {"reach": g.get("reach"), "current_locale": str(get_locale()),
                "languages": app.config["LANGUAGES"]}

    @app.after_request
    def _vary(response: Response) -> Response:
        if request.headers.get("HX-Request"):
            response.vary.add("HX-Request")
        return response


def register_cli(app: Flask) -> None:
    from portal.cli import register

    register(app)
