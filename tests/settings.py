"""Settings for the test suite: the real settings, with a throw-away data directory.

DATABASE_URL chooses the database exactly as in production, so the same suite
runs on SQLite (default) and PostgreSQL (bin/test does both).
"""

import os
import tempfile

os.environ.setdefault("MEMORIA_DATA_DIR", tempfile.mkdtemp(prefix="memoria-test-"))

from memoria.settings import *  # noqa: E402, F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# A model with every encrypted field type, for the vault's tests (not in production).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.vaultapp"]  # noqa: F405
