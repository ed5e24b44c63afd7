"""The register of outgoing documents on the web (portal.register)."""
