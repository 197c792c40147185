"""WSGI entry point for gunicorn or any WSGI server behind a reverse proxy."""

import os

from django.core.wsgi import get_wsgi_application

from memoria.config import PRIVATE_UMASK

# A server started by an init system or a shell with a permissive umask must still
# write the database, its WAL, uploads and export files for its own user only.
os.umask(PRIVATE_UMASK)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "memoria.settings")

application = get_wsgi_application()
