"""WSGI entry point for gunicorn or any WSGI server behind a reverse proxy."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memoria.settings")

application = get_wsgi_application()
