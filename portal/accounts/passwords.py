"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_HASHERS = {
    # argon2-cffi defaults: argon2id, t=3, m=64 MiB, p=4 (RFC 9106 low-memory profile).
    "default": PasswordHasher(),
    # Tests only: same algorithm, cheap parameters.
    "test": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
}


def _hasher() -> PasswordHasher:
    return _HASHERS[current_app.config.get("PASSWORD_HASH_PROFILE", "default")]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
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
