"""The domain: configuration, extensions, the feature modules, jobs and the CLI commands.

The app factory lives in ``composition`` (the composition root), outside this package:
nothing here imports it or ``blueprints``. The package itself stays import-light so that
models in ``tenants`` and ``portal`` can import ``portal.extensions`` freely.
"""
