"""The audit log: every change to units, accounts, plans, reports and frameworks."""
