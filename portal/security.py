"""Security headers on every response, and a Content-Security-Policy with a nonce.

The policy lets a page run only the platform's own files (htmx, and Flask-Admin's
jQuery and helpers, which carry the request's nonce) and no inline script, inline
style or ``javascript:`` link. htmx is configured for it in ``base.html``
(``allowEval: false``, ``includeIndicatorStyles: false``); Flask-Admin gets the nonce
through ``csp_nonce_generator`` and its two inline ``onclick`` macros are replaced in
``templates/admin/`` (see docs/operations.md § Security).
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, request


def csp_nonce() -> str:
    """This request's nonce (one per request, made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        f"style-src 'self' 'nonce-{nonce}'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def register(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy",
                           "camera=(), microphone=(), geolocation=(), payment=()")
        if current_app.config.get("HSTS_SECONDS"):
            headers.setdefault("Strict-Transport-Security",
                               f"max-age={current_app.config['HSTS_SECONDS']}; "
                               "includeSubDomains")
        # A signed-in page may hold another unit's figures or a draft: an office's shared
        # computer must not keep it in its cache (static files and public pages may).
        # (g.user_id is set when the request began signed in; reading current_user here
        # could query a database that is down.)
        # (A view may say more, as long as it says no-store: a page image is also
        # "private", for any cache between the office and the platform.)
        if request.endpoint != "static" and g.get("user_id") is not None and \
                "no-store" not in headers.get("Cache-Control", ""):
            headers["Cache-Control"] = "no-store"
        return response
