"""Every model change ships with its migration."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.test import TestCase


class MigrationTests(TestCase):
    def test_no_model_change_is_without_its_migration(self):
        out = io.StringIO()
        try:
            call_command("makemigrations", check=True, dry_run=True, stdout=out, stderr=out)
        except SystemExit:
            self.fail(f"a model change has no migration:\n{out.getvalue()}")
