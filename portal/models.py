"""Imports every model module so the metadata is complete (Alembic, tests).

Definitions live one aggregate per file under ``tenants/``, ``portal/accounts/`` and
``portal/frameworks/``.
"""

from portal.accounts.api_token import ApiToken
from portal.accounts.user import User
from portal.audit.entry import AuditEntry
from portal.frameworks.document_ingest import DocumentIngest
from portal.frameworks.document_page import DocumentPage
from portal.frameworks.framework import Framework, FrameworkNode, FrameworkVersion
from portal.frameworks.indicator import Indicator, IndicatorTarget
from portal.frameworks.mapping import IndicatorMapping
from portal.frameworks.period import ReportingPeriod
from portal.frameworks.responsibility import Responsibility, ResponsibilityUnit
from portal.notifications.manual_reminder import ManualReminder, ManualReminderUnit
from portal.notifications.notification import Notification
from portal.outliers.rule import OutlierRule
from portal.plans.history import PlanComment, PlanTransition
from portal.plans.plan import PlanRevision, PlanTarget, PlanTask, PlanTaskUnit, UnitPlan
from portal.register.entry import RegisterCounter, RegisterEntry
from portal.reports.consolidation_file import ConsolidationFile
from portal.reports.consolidation_narrative import ConsolidationNarrative
from portal.reports.obligation import ObligationDue, ReportObligation
from portal.reports.report import (
    ReportSubmission,
    ReportTask,
    ReportTransition,
    ReportValue,
    UnitReport,
)
from portal.reports.value_thread import ValueComment, ValueFollowUp
from portal.signing.image import SigningImage
from portal.signing.record import DocumentRecord
from portal.validation.explanation import ViolationExplanation
from portal.validation.rule import ValidationRule
from portal.validation.run import ValidationNotice, ValidationRun
from tenants.lineage import Reorganization, UnitLineage
from tenants.membership import Membership
from tenants.unit import Unit, UnitClosure

__all__ = [
    "ApiToken",
    "AuditEntry",
    "ConsolidationFile",
    "ConsolidationNarrative",
    "DocumentIngest",
    "DocumentPage",
    "DocumentRecord",
    "Framework",
    "FrameworkNode",
    "FrameworkVersion",
    "Indicator",
    "IndicatorMapping",
    "IndicatorTarget",
    "ManualReminder",
    "ManualReminderUnit",
    "Membership",
    "Notification",
    "ObligationDue",
    "OutlierRule",
    "PlanComment",
    "PlanRevision",
    "PlanTarget",
    "PlanTask",
    "PlanTaskUnit",
    "PlanTransition",
    "RegisterCounter",
    "RegisterEntry",
    "Reorganization",
    "ReportObligation",
    "ReportSubmission",
    "ReportTask",
    "ReportTransition",
    "ReportValue",
    "ReportingPeriod",
    "Responsibility",
    "ResponsibilityUnit",
    "SigningImage",
    "Unit",
    "UnitClosure",
    "UnitLineage",
    "UnitPlan",
    "UnitReport",
    "User",
    "ValidationNotice",
    "ValidationRule",
    "ValidationRun",
    "ValueComment",
    "ValueFollowUp",
    "ViolationExplanation",
]
