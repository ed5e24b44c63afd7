"""Validation rules of a framework: expressions, rules, checks at entry and submission, runs."""
