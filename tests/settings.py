"""Settings for the test suite: the real settings, with a throw-away data directory.

DATABASE_URL chooses the database exactly as in production, so the same suite
runs on SQLite (default) and PostgreSQL (bin/test does both).
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("MEMORIA_DATA_DIR", tempfile.mkdtemp(prefix="memoria-test-"))
# Under pytest-xdist each worker gets its own data directory (secret key, master
# key, uploads, static files), so workers never race to create the same files.
# Once only: a command a test starts inherits the worker's environment and must
# use the data directory the test gave it.
worker = os.environ.get("PYTEST_XDIST_WORKER")
if worker and os.environ.get("MEMORIA_TEST_WORKER_DIR") != worker:
    os.environ["MEMORIA_DATA_DIR"] = str(Path(os.environ["MEMORIA_DATA_DIR"]) / worker)
    os.environ["MEMORIA_TEST_WORKER_DIR"] = worker

from memoria.settings import *  # noqa: E402, F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Argon2 costs about 50 ms a hash by design, and the personas of every web test
# are created with passwords. Production keeps Argon2 first
# (tests/web/test_accounts.py checks memoria.settings and a real sign-in with it).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A model with every encrypted field type, for the vault's tests (not in production).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.vaultapp"]  # noqa: F405

# The tests' webhook receivers, SMS gateway and mail server listen on loopback
# (tests/web/test_alerts_channels.py checks the refusal with this list empty).
MEMORIA_ALERTS_LOCAL_RECEIVERS = ["127.0.0.1"]
