"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from portal.accounts.hash_gate import hashing_slot

# OWASP's Password Storage Cheat Sheet, first argon2id option: m=19 MiB, t=2, p=1 — about
# 23 ms of one core here (benchmarks/password_hash.py), where argon2-cffi's defaults
# (t=3, m=64 MiB, p=4, RFC 9106's low-memory profile), used until December 2026, took
# about 170 ms of both cores. A hash made with other parameters is made again with these
# at the next sign-in (``needs_rehash``, in ``portal.accounts.service.authenticate``).
OWASP_ARGON2ID = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
_HASHERS = {
    "default": PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1),
    # Tests only: same algorithm, cheap parameters.
    "test": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
}


def _hasher() -> PasswordHasher:
    return _HASHERS[current_app.config.get("PASSWORD_HASH_PROFILE", "default")]


def hash_password(password: str) -> str:
    with hashing_slot():
        return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        with hashing_slot():
            return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher().check_needs_rehash(stored)


def password_problems(password: str, username: str) -> list[str]:
    """Reasons ``password`` is refused, as untranslated message ids (empty if fine)."""
    problems = []
    if len(password) < current_app.config["PASSWORD_MIN_LENGTH"]:
        problems.append("too_short")
    if username and username.lower() in password.lower():
        problems.append("contains_username")
    if password.isdigit() or password.isalpha():
        problems.append("letters_and_digits")
    return problems
