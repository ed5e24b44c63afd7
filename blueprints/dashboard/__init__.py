"""The leaders' dashboard: a unit's subtree at a glance, with drill-down."""
