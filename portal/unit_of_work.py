"""One commit per request, command or job: ``with unit_of_work(): …``.

Domain operations only flush. The caller that owns the transaction — a view, a CLI
command, a job — runs them inside ``unit_of_work()``: the block's changes are committed
when it ends normally and rolled back when anything is raised (a ``DomainError`` with its
problems, a stale version, a database error), so a refusal never leaves half a change
behind. The exception goes on: a view that wants its own answer catches it outside the
block; otherwise ``portal.errors`` shows every problem (422).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from portal.extensions import db


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit the block's changes, or roll all of them back if it raises."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
