"""Administration: platform operators and tenant administrators (Flask-Admin)."""
