"""Where a consolidation run stands: its status and its step, each with its label.

Apart from the model so that ``portal.reports.stuck_runs`` (which the model's module
imports) can name them too.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


RUN_STATUS_LABELS = {RunStatus.QUEUED: _l("Waiting to start"), RunStatus.RUNNING: _l("Running"),
                     RunStatus.DONE: _l("Done"), RunStatus.FAILED: _l("Failed")}


class ConsolidationStep(enum.StrEnum):
    """Where a running consolidation is (``Consolidation.step``, the job's progress)."""

    READING = "reading"          # the reports it reads, for staleness
    COMPUTING = "computing"      # the indicators and rates
    COMPILING = "compiling"      # the narrative, unit by unit
    WRITING = "writing"          # the snapshot
    DONE = "done"
    FAILED = "failed"


STEP_LABELS = {ConsolidationStep.READING: _l("reading the reports"),
               ConsolidationStep.COMPUTING: _l("computing the indicators and rates"),
               ConsolidationStep.COMPILING: _l("compiling the narrative"),
               ConsolidationStep.WRITING: _l("writing the snapshot"),
               ConsolidationStep.DONE: _l("done"), ConsolidationStep.FAILED: _l("failed")}

UNDER_WAY = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)
