"""One way for a domain rule to refuse: ``DomainError`` with every problem it found.

Every refusal of the domain (a plan, a report, a framework, the unit tree, an account, a
reorganization, an upload) is a ``DomainError`` subclass. ``problems`` maps a field name
(or a position, ``"0"``, ``"1"``…, when the problems name no field) to a message in the
user's language; ``messages`` is the same texts in order. The web layer shows every one
(``portal.errors``), the CLI prints every one (``portal.cli``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask_babel import gettext as _


class DomainError(ValueError):
    """Refused by a domain rule; nothing the refusing operation did is to be kept."""

    def __init__(self, problems: Mapping[str, str] | Iterable[str] | str):
        if isinstance(problems, str):
            problems = [problems]
        if not isinstance(problems, Mapping):
            problems = {str(i): str(p) for i, p in enumerate(problems)}
        self.problems: dict[str, str] = {str(k): str(v) for k, v in problems.items()}
        super().__init__("\n".join(self.problems.values()))

    @property
    def messages(self) -> list[str]:
        """Every problem's message, in the order they were found."""
        return list(self.problems.values())


def refuse_together(problems: Mapping[str, str], names: Mapping[str, str]) -> dict[str, str]:
    """Fields that are only meaningful together (a start and an end date, a part and its
    total) are saved together or not at all: when one of ``names`` has a problem, the
    message of each other one, saying which field it waits for. ``names`` maps each field
    to what the reader calls it; ``problems`` is not changed."""
    refused = [name for name in names if name in problems]
    if not refused:
        return {}
    return {name: _("Not saved either: it is saved together with “%(other)s”; correct that "
                    "one first.", other=names[refused[0]])
            for name in names if name not in problems}
