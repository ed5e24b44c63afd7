"""The audit log on the web."""
