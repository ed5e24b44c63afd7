"""The unit tree, memberships and roles, access rules, tenant scope and its guards."""
