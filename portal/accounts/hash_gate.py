"""At most k password hashes at once on a machine, the rest wait a little or get a 503.

A password hash is the one deliberately slow thing a request does (argon2id, about
20 ms of one core with the parameters of ``portal.accounts.passwords``; about 170 ms on
two cores with argon2-cffi's defaults). gunicorn's sync workers each serve one request
at a time, so a burst of sign-ins can occupy every worker and every core while the
autosaves of the people already signed in wait behind them. The gate bounds that: a
hash first takes one of ``PASSWORD_HASH_SLOTS`` slots shared by every process of the
machine (an exclusive ``flock`` on one of k files in ``PASSWORD_HASH_LOCK_DIR``; the
kernel frees a dead process's lock), waiting at most ``PASSWORD_HASH_WAIT`` seconds;
when none frees up in time the sign-in is refused with ``HashingBusy`` — a 503 with
``Retry-After`` and "try again in a moment", nothing changed — and the workers go on
serving everyone else.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from portal.problems import DomainError

_POLL = 0.005   # seconds between attempts while every slot is taken


class HashingBusy(DomainError):
    """Every password-hashing slot stayed taken: sign in again in a moment."""

    retry_after = 2

    def __init__(self) -> None:
        super().__init__({"password": str(_l(
            "Many people are signing in right now. Please try again in a moment."))})


def _settings() -> tuple[int, float, Path]:
    config = current_app.config if has_app_context() else {}
    slots = int(config.get("PASSWORD_HASH_SLOTS") or 1)
    wait = float(config.get("PASSWORD_HASH_WAIT", 1.0))
    folder = config.get("PASSWORD_HASH_LOCK_DIR") or os.path.join(
        tempfile.gettempdir(), f"portal-hash-slots-{os.getuid()}")
    return max(1, slots), max(0.0, wait), Path(folder)


@contextmanager
def hashing_slot() -> Iterator[int]:
    """Hold one of the machine's hashing slots for the block (yields its number)."""
    slots, wait, folder = _settings()
    folder.mkdir(parents=True, exist_ok=True)
    handles = [os.open(folder / f"slot-{i}", os.O_RDWR | os.O_CREAT, 0o600)
               for i in range(slots)]
    deadline = time.monotonic() + wait
    held = -1
    try:
        while held < 0:
            for i, fd in enumerate(handles):
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                held = i
                break
            if held < 0:
                if time.monotonic() >= deadline:
                    raise HashingBusy
                time.sleep(_POLL)
        yield held
    finally:
        if held >= 0:
            fcntl.flock(handles[held], fcntl.LOCK_UN)
        for fd in handles:
            os.close(fd)
