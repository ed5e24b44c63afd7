"""The demo province, Hưng Yên: as it is today (``today``: December 2026, new Hưng Yên
after the 1 July 2025 reorganization, with its history) or in the legacy structure alone
(``legacy``). docs/demo.md tells what each holds and who signs in.

The command line (``flask demo …``) calls the three functions here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from portal.demo import legacy, today
from portal.demo.legacy import DEMO_PASSWORD, data_dir, reorganize_2025

__all__ = ["DEMO_PASSWORD", "reorganize_2025", "seed", "seed_reports"]


def seed(explicit_dir: Path | None = None, *, legacy_only: bool = False) -> Iterator[str]:
    """Load today's demo, or the legacy one; yields one line per step for the command to
    print. Idempotent."""
    if not legacy_only:
        yield from today.seed(data_dir(explicit_dir))
    elif today.applied() is not None:
        yield ("the demo's units were reorganized on 01/07/2025: the legacy demo needs an "
               "empty database")
    else:
        yield from legacy.seed(explicit_dir)


def seed_reports() -> Iterator[str]:
    """The legacy demo's plans and 2025–2026 reports; today's demo has its own already."""
    if today.is_today_demo():
        yield "demo reports: today's demo has its plans and reports already"
    else:
        yield from legacy.seed_reports()
