"""Configuration per environment, read from environment variables.

``PORTAL_ENV`` picks the class (``production`` by default, so that a forgotten
setting fails safe); every other setting is documented in the README.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings common to every environment."""

    ENV_NAME = "base"
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    # None means "a SQLite file in the instance folder", filled in by create_app.
    SQLALCHEMY_DATABASE_URI: str | None = os.environ.get("DATABASE_URL")
    # Migrations run as the owner of the schema; the app connects as a non-owner role.
    MIGRATION_DATABASE_URL: str | None = os.environ.get("MIGRATION_DATABASE_URL")
    # Flask reads config classes as plain attributes; a shared dict here is never mutated.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}  # noqa: RUF012
    # Behind PgBouncer in transaction mode (docs/operations.md § Behind PgBouncer): psycopg
    # must not prepare statements (PgBouncer 1.18 hands each transaction any server
    # connection, where the prepared name is unknown or another client's).
    DATABASE_TRANSACTION_POOLER = os.environ.get("DATABASE_TRANSACTION_POOLER", "") == "1"
    # A streaming replica for what only reads (portal/read_routing.py): empty = none.
    READ_DATABASE_URL: str | None = os.environ.get("READ_DATABASE_URL") or None
    REDIS_URL: str | None = os.environ.get("REDIS_URL") or None

    # The ORM guard is one of three isolation layers; it is switched off only by the
    # test run that proves PostgreSQL row-level security holds by itself.
    TENANT_ORM_GUARD = _bool("TENANT_ORM_GUARD", True)

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

    MAX_CONTENT_LENGTH = 20 * 1024 * 1024  # any upload: plan documents, evidence files
    EVIDENCE_DIR = os.environ.get("EVIDENCE_DIR") or None  # None: instance/evidence
    # Digital signatures (docs/signing.md): the folder of trusted root certificates (the
    # national root CAs), and the organisation certificates the platform signs with, as
    # JSON: {"UNIT-CODE": {"pkcs12": "/path.p12", "password_file": "/path"}} or
    # {"UNIT-CODE": {"pkcs11": {"module": "/usr/lib/…so", "token_label": "…",
    #                "key_label": "…", "pin_file": "/path"}}}. Empty: none configured.
    TRUST_ROOTS_DIR = os.environ.get("TRUST_ROOTS_DIR") or None
    ORGANISATION_CERTIFICATES = os.environ.get("ORGANISATION_CERTIFICATES") or "{}"
    EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
    # Page images of uploaded plans (None: a "pages" folder in the evidence folder).
    PAGE_IMAGE_DIR = os.environ.get("PAGE_IMAGE_DIR") or None

    # The CSRF token lives as long as the session: a long draft must still save.
    WTF_CSRF_TIME_LIMIT = None

    # Flask-Limiter: Redis when configured, memory otherwise (one process only).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or (
        os.environ.get("REDIS_URL") or "memory://"
    )
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down: each process counts in its own memory until Redis is back, and an error
    # of the limiter's storage never fails a request (docs/operations.md § Faults).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;60 per hour")
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "20 per hour")
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")   # per token
    API_AUTH_FAILURE_LIMIT = os.environ.get("API_AUTH_FAILURE_LIMIT", "30 per minute")

    # Seconds to wait between the steps of a consolidation: 0 in production; the tests
    # that watch the progress bar or kill a worker mid-job set it.
    CONSOLIDATION_STEP_DELAY = float(os.environ.get("CONSOLIDATION_STEP_DELAY") or 0)

    # E-mail (Flask-Mail). Without MAIL_SERVER, messages are written as .eml files to
    # MAIL_FILE_DIR (default: instance/mail) instead of being sent.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT") or 587)
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "TCĐLCL <no-reply@localhost>")
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR") or None
    # The address people open the platform at, for links in e-mails.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    # The hour (Vietnam time) of the daily reminder run booked by `flask worker`.
    REMINDER_HOUR = int(os.environ.get("REMINDER_HOUR") or 7)
    # The hour (Vietnam time) of the daily digest of workflow notices (docs/notifications.md).
    DIGEST_HOUR = int(os.environ.get("DIGEST_HOUR") or 7)
    # Recovery of the background side (docs/operations.md § Jobs after a crash): the
    # worker's maintenance pass (dead scheduler locks, stuck consolidations, the reminders
    # booking) every WORKER_MAINTENANCE_INTERVAL seconds; a running job's heartbeat every
    # WORKER_JOB_MONITORING_INTERVAL seconds; a job whose heartbeat is older than
    # JOB_STALE_AFTER seconds belongs to a dead worker and is taken over.
    WORKER_MAINTENANCE_INTERVAL = int(os.environ.get("WORKER_MAINTENANCE_INTERVAL") or 15)
    WORKER_JOB_MONITORING_INTERVAL = int(os.environ.get("WORKER_JOB_MONITORING_INTERVAL") or 5)
    JOB_STALE_AFTER = int(os.environ.get("JOB_STALE_AFTER") or 30)

    # argon2id; the test profile is cheap so the suite stays fast.
    PASSWORD_HASH_PROFILE = "default"  # noqa: S105 - names an argon2 profile
    # At most this many password hashes run at once on one machine (all web processes
    # together, portal/accounts/hash_gate.py); a sign-in that waits longer than
    # PASSWORD_HASH_WAIT seconds for a slot is answered 503 "try again shortly".
    PASSWORD_HASH_SLOTS = int(os.environ.get("PASSWORD_HASH_SLOTS")
                              or max(1, (os.cpu_count() or 2) // 2))
    PASSWORD_HASH_WAIT = float(os.environ.get("PASSWORD_HASH_WAIT") or 1.0)
    PASSWORD_HASH_LOCK_DIR = os.environ.get("PASSWORD_HASH_LOCK_DIR") or None
    PASSWORD_MIN_LENGTH = 10
    # Failed sign-ins in a row that lock an account, and for how long (an administrator
    # can unlock it sooner). The rate limits above slow guessing; this stops it.
    LOCKOUT_ATTEMPTS = int(os.environ.get("LOCKOUT_ATTEMPTS", "10"))
    LOCKOUT_MINUTES = int(os.environ.get("LOCKOUT_MINUTES", "15"))

    # Logs: one JSON object per line on stderr (``text`` for a terminal), with an access
    # line per request carrying its id, the account and the unit.
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    ACCESS_LOG = _bool("ACCESS_LOG", True)
    # How many proxies (nginx, a load balancer) stand in front and set X-Forwarded-For
    # and X-Forwarded-Proto; 0 trusts none. Rate limits count the real address only
    # when this is right.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT") or 0)
    # Strict-Transport-Security; 0 sends none (development over plain HTTP).
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS") or 31536000)


class DevelopmentConfig(Config):
    """`make run`: localhost over plain HTTP, SQLite and in-process jobs."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    HSTS_SECONDS = 0
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-only-not-secret"  # noqa: S105 - tests only
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    # Real Redis in CI (REDIS_URL), memory otherwise; tests reset the counters.
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    LOGIN_RATE_LIMIT = "1000 per minute"
    LOGIN_ACCOUNT_RATE_LIMIT = "1000 per minute"
    API_RATE_LIMIT = API_AUTH_FAILURE_LIMIT = "100000 per minute"
    PASSWORD_HASH_PROFILE = "test"  # noqa: S105 - names an argon2 profile
    HSTS_SECONDS = 0
    ACCESS_LOG = _bool("ACCESS_LOG", False)
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    REDIS_URL = os.environ.get("REDIS_URL") or None


class ProductionConfig(Config):
    ENV_NAME = "production"


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None) -> type[Config]:
    """The configuration class for ``name`` (``PORTAL_ENV``), production by default."""
    key = (name or os.environ.get("PORTAL_ENV") or "production").strip().lower()
    if key not in CONFIGS:
        raise RuntimeError(f"PORTAL_ENV must be one of {sorted(CONFIGS)}, not {key!r}")
    return CONFIGS[key]


def sqlite_default_uri(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "portal.sqlite3")
