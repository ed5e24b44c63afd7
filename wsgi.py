"""What gunicorn serves: ``gunicorn wsgi:app`` (see README § Production)."""

from portal.app import create_app

app = create_app()
