"""The checks the blueprints share after loading a row: may the caller act on it?"""

from __future__ import annotations

from flask import abort, g


def writer_or_403(unit_id: int) -> None:
    """403 unless the caller may write the unit's plans and reports (its drafters, head
    and administrators): the row was visible, so the unit is not hidden from them."""
    if not g.reach.can_write(unit_id):
        abort(403)
