"""The baseline of the load tests: a bare Flask route doing one database query.

Served by gunicorn exactly like the platform (same workers, same database), so that the
platform's figures can be read as a ratio to "a request that does almost nothing".
"""

from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import create_engine, text

url = os.environ["DATABASE_URL"]
if url.startswith("postgresql://"):
    url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
# behind PgBouncer in transaction mode, as the platform: no prepared statements
# (docs/operations.md § Behind PgBouncer)
pooled = os.environ.get("DATABASE_TRANSACTION_POOLER") == "1"
engine = create_engine(url, pool_pre_ping=True,
                       connect_args={"prepare_threshold": None} if pooled else {})
app = Flask(__name__)


@app.get("/one-query")
def one_query() -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT 1")).scalar())
