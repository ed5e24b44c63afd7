"""The application core: app factory, configuration, extensions and the domain.

Import the factory from ``portal.app``; this package itself stays import-light so
that models in ``tenants`` and ``portal`` can import ``portal.extensions`` freely.
"""
