"""The leaders' view: live aggregates of a subtree against targets, with their sources."""
