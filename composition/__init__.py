"""The composition root: the one place that knows every layer.

``create_app`` wires the configuration, the extensions, tenancy, the domain's CLI and
the web layer (``blueprints``) into one Flask app. Nothing in ``portal``, ``tenants`` or
``blueprints`` imports this package (the layers contract in pyproject.toml checks it):
``wsgi.py``, ``FLASK_APP=composition:create_app`` and the tests do.
"""

from composition.app import create_app

__all__ = ["create_app"]
