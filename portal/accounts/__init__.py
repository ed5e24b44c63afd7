"""Accounts: users, password hashing, API tokens."""
