"""The test suite.

Imported before ``tests/conftest.py`` and so before any of the platform's modules:
``portal.config`` reads REDIS_URL when it is imported, so each worker's services must be
in the environment by then.
"""

from __future__ import annotations

import os

# Services of each pytest-xdist worker (scripts/test.sh runs two on PostgreSQL): worker
# gwN has PostgreSQL databases of its own, the configured names with ``_gwN`` appended
# (scripts/test.sh makes them with scripts/pg-setup.sh), and Redis database 15 - N if
# REDIS_URL names 15, so two workers never share a row, a lock or a rate-limit counter.
# The browser journeys share one live deployment: they all run on one worker
# (conftest.pytest_collection_modifyitems; --dist loadgroup).
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _per_worker(url: str, number: int) -> str:
    if url.startswith("postgres"):
        return url + f"_gw{number}"
    if url.startswith("redis"):
        base, _, database = url.rpartition("/")
        return f"{base}/{int(database or 0) - number}"
    return url


if WORKER:
    for _name in ("DATABASE_URL", "MIGRATION_DATABASE_URL", "E2E_DATABASE_URL",
                  "E2E_MIGRATION_DATABASE_URL", "REDIS_URL"):
        if os.environ.get(_name):
            os.environ[_name] = _per_worker(os.environ[_name], int(WORKER.removeprefix("gw")))
