.PHONY: run test setup lint translations

run:            ## install, migrate, load the demo and serve on http://127.0.0.1:5000
	scripts/run.sh

test:           ## run the test suite (SQLite, or PostgreSQL/Redis from DATABASE_URL/REDIS_URL)
	scripts/test.sh

setup:
	scripts/setup.sh

lint:
	.venv/bin/ruff check composition portal tenants blueprints tests wsgi.py
	.venv/bin/lint-imports
	.venv/bin/mypy composition portal tenants blueprints

translations:   ## refresh the message catalogue after changing texts
	.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o portal/translations/messages.pot .
	.venv/bin/pybabel update -i portal/translations/messages.pot -d portal/translations --width 100 --ignore-obsolete
