"""What gunicorn serves: ``gunicorn wsgi:app`` (see README § Production)."""

from composition import create_app

app = create_app()
