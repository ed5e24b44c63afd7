"""What people read for an enum's value, registered once for the templates.

Each enum's translated labels live beside the enum, in its module (``ROLE_LABELS`` beside
``Role`` …); this module only names them: ``label(ROLE_LABELS, "head")`` in code,
``role_label("head")`` in a template. A value without a label reads as itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from portal.accounts.user import EMAIL_DELIVERY_LABELS
from portal.audit.entry import AUDIT_ACTION_LABELS, OBJECT_TYPE_LABELS
from portal.dashboard.service import TRACK_LABELS
from portal.frameworks.framework import NODE_KIND_LABELS, VERSION_STATUS_LABELS
from portal.frameworks.indicator import (
    AGGREGATION_LABELS,
    DIRECTION_LABELS,
    INDICATOR_KIND_LABELS,
    TARGET_PATH_LABELS,
    TARGET_SCOPE_LABELS,
    TIME_BEHAVIOUR_LABELS,
)
from portal.notifications.notification import NOTICE_KIND_LABELS
from portal.plans.history import PLAN_ACTION_LABELS
from portal.plans.plan import CHANGE_LABELS, FIELD_LABELS, REVISION_STATUS_LABELS
from portal.progress.confidence import (
    CONFIDENCE_DEFINITIONS,
    CONFIDENCE_LABELS,
    CONFIDENCE_MISSING,
)
from portal.progress.health import HEALTH_LABELS, HEALTH_NOT_ASSESSED
from portal.register.entry import ENTRY_STATUS_LABELS, ORIGIN_LABELS, SIGNED_COPY_LABELS
from portal.reports.consolidation import RUN_STATUS_LABELS, STEP_LABELS
from portal.reports.consolidation_file import KIND_LABELS as FILE_KIND_LABELS
from portal.reports.report import (
    REPORT_ACTION_LABELS,
    REPORT_STATUS_IN_TEXT,
    REPORT_STATUS_LABELS,
    TASK_STATUS_LABELS,
    TASK_STATUS_MISSING,
)
from portal.reports.worklist import UNIT_REPORT_STATUS_LABELS
from tenants.membership import ROLE_LABELS
from tenants.unit import UNIT_KIND_LABELS

# enum value -> lazy translated text (keyed by a StrEnum, which Mapping[str, ...] is not:
# its key type is invariant; looked up by the plain string)
Labels = Mapping[Any, object]

# template function name -> (the enum's labels, what a missing value reads as)
TEMPLATE_LABELS: dict[str, tuple[Labels, object | None]] = {
    "kind_label": (UNIT_KIND_LABELS, None),
    "role_label": (ROLE_LABELS, None),
    "node_kind_label": (NODE_KIND_LABELS, None),
    "indicator_kind_label": (INDICATOR_KIND_LABELS, None),
    "behaviour_label": (TIME_BEHAVIOUR_LABELS, None),
    "aggregation_label": (AGGREGATION_LABELS, None),
    "target_scope_label": (TARGET_SCOPE_LABELS, None),
    "target_path_label": (TARGET_PATH_LABELS, None),
    "status_label": (VERSION_STATUS_LABELS, None),
    "revision_status_label": (REVISION_STATUS_LABELS, None),
    "plan_action_label": (PLAN_ACTION_LABELS, None),
    "register_status_label": (ENTRY_STATUS_LABELS, None),
    "register_origin_label": (ORIGIN_LABELS, None),
    "signed_copy_label": (SIGNED_COPY_LABELS, None),
    "report_status_label": (REPORT_STATUS_LABELS, None),
    "report_action_label": (REPORT_ACTION_LABELS, None),
    "task_status_label": (TASK_STATUS_LABELS, TASK_STATUS_MISSING),
    "run_status_label": (RUN_STATUS_LABELS, None),
    "file_label": (FILE_KIND_LABELS, None),
    "step_label": (STEP_LABELS, None),
    "report_status_in_text": (REPORT_STATUS_IN_TEXT, None),
    "track_label": (TRACK_LABELS, None),
    "audit_action_label": (AUDIT_ACTION_LABELS, None),
    "object_type_label": (OBJECT_TYPE_LABELS, None),
    "field_label": (FIELD_LABELS, None),
    "email_delivery_label": (EMAIL_DELIVERY_LABELS, None),
    "notice_kind_label": (NOTICE_KIND_LABELS, None),
    "change_label": (CHANGE_LABELS, None),
    "unit_report_status_label": (UNIT_REPORT_STATUS_LABELS, None),
    "direction_label": (DIRECTION_LABELS, None),
    "health_label": (HEALTH_LABELS, HEALTH_NOT_ASSESSED),
    "confidence_label": (CONFIDENCE_LABELS, CONFIDENCE_MISSING),
    "confidence_definition": (CONFIDENCE_DEFINITIONS, None),
}


def label(labels: Labels, value: str | None, missing: object | None = None) -> str:
    """The label of ``value`` in the reader's language; another value reads as
    ``missing`` when there is one, else as itself."""
    found = labels.get(value) if value else None
    if found is not None:
        return str(found)
    return str(missing) if missing is not None else (value or "")


def template_globals() -> dict[str, Callable[..., str]]:
    """``kind_label(value)``, ``role_label(value)`` … for the templates, and
    ``warning_text(warning)``: a parser warning in the reader's language."""
    from portal.frameworks.service import warning_text

    def bound(labels: Labels, missing: object | None) -> Callable[[str | None], str]:
        return lambda value: label(labels, value, missing)

    found: dict[str, Callable[..., str]] = {
        name: bound(labels, missing) for name, (labels, missing) in TEMPLATE_LABELS.items()}
    found["warning_text"] = warning_text
    return found
