"""An encrypted date and time, for legal deadlines counted in hours.

``memoria.vault.fields`` has dates but no datetimes; this one stores an aware
``datetime`` as ISO 8601 text (UTC) under the same per-organization key.
"""

from __future__ import annotations

import datetime

from django import forms
from django.db import models
from django.utils import timezone

from memoria.vault.fields import EncryptedMixin


class EncryptedDateTimeField(EncryptedMixin, models.TextField):
    """An aware ``datetime.datetime`` stored encrypted (kept in UTC)."""

    empty_values_stored_plain = (None, "")

    def from_db_value(self, value, expression, connection):
        return None if value == "" else super().from_db_value(value, expression, connection)

    def to_plaintext(self, value) -> str:
        value = self.python_value(value)
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(datetime.UTC).isoformat()

    def from_plaintext(self, text: str) -> datetime.datetime:
        value = datetime.datetime.fromisoformat(text)
        return value if timezone.is_aware(value) else timezone.make_aware(value, datetime.UTC)

    def python_value(self, value):
        return models.DateTimeField().to_python(value)

    def formfield(self, **kwargs):
        defaults = {"form_class": forms.DateTimeField}
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)
