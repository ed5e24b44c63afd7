"""Health against expected progress, the projection to the plan's final year, and the
confidence rating of tasks in progress (issue 18, items 6–8; docs/progress.md).

Pure rules over numbers the dashboard's read-model already has: nothing here queries
the reports, so ``portal.dashboard`` and ``portal.reports`` can both use it.
"""
