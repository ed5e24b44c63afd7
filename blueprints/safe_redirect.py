"""Redirect targets taken from the request must stay on this site."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for


def safe_next(target: str | None, fallback_endpoint: str = "units.home") -> str:
    """``target`` if it is a path on this site, else the fallback page."""
    if target:
        target = target.strip()
        parts = urlsplit(target)
        # Browsers drop tabs and newlines from a URL ("/\t/evil" becomes "//evil") and read
        # "\\" as "/": a target with either is refused, not cleaned.
        if (not parts.scheme and not parts.netloc and target.startswith("/")
                and not target.startswith("//") and "\\" not in target
                and not any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in target)):
            return target
    return url_for(fallback_endpoint)
