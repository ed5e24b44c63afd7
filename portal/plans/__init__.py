"""Unit plans: each unit drafts, issues and amends its own plan implementing a framework."""
