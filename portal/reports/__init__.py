"""Yearly reports: each unit reports on its plan before the period's due date."""
