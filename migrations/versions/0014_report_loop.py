"""The report loop's statuses: returned and reopened reports are no longer drafts.

Until now a report the reviewer returned, or an accepted one reopened, went back to
"draft", its reason left in the history. They now have statuses of their own; an
existing draft whose latest step is a return becomes "returned", a reopening
"reopened". Downgrading makes them, and any report with the head ("with_head"), drafts
again. No column changes: ``status`` is a String(12) and every new name fits.

Revision ID: 0014_report_loop
Revises: 0013_indicator_targets
Create Date: 2026-12-02
"""
from alembic import op

revision = "0014_report_loop"
down_revision = "0013_indicator_targets"
branch_labels = None
depends_on = None

# The action of the report's latest recorded step.
LATEST_ACTION = ("(SELECT t.action FROM report_transition t "
                 "WHERE t.report_id = unit_report.id ORDER BY t.id DESC LIMIT 1)")


def upgrade():
    for action, status in (("return", "returned"), ("reopen", "reopened")):
        op.execute(f"UPDATE unit_report SET status = '{status}' "  # noqa: S608 - constants
                   f"WHERE status = 'draft' AND {LATEST_ACTION} = '{action}'")


def downgrade():
    op.execute("UPDATE unit_report SET status = 'draft' "
               "WHERE status IN ('returned', 'reopened', 'with_head')")
