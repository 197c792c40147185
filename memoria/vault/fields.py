"""Model fields whose values are stored encrypted (AES-256-GCM, per-organization key).

Usage, on any model with an ``organization`` foreign key, or with a property
``vault_organization_id`` (for child rows whose organization is their parent's)::

    full_name = EncryptedCharField(_("full name"), max_length=200)
    testimony = EncryptedTextField(_("testimony"), blank=True)
    birth_date = EncryptedDateField(_("birth date"), null=True, blank=True)
    contact = EncryptedJSONField(_("contact"), null=True, blank=True)

Values are encrypted in ``pre_save`` (``save()``, ``create()``, ``bulk_create()``)
and decrypted when loaded. Python code sees plaintext; the column holds text
``mv1:<key id>:<base64>``. Empty values (``None``, and ``""`` for the text
fields) are stored as they are, unencrypted: that a field is blank is not secret.

They cannot be searched, filtered or ordered in the database: only ``isnull``
and equality with an empty value work; any other lookup raises ``FieldError``.
Search goes through blind indexes (``memoria.vault.blind.blind_tokens``).
``QuerySet.update()`` and ``bulk_update()`` with a plaintext value raise
``ValueError`` instead of storing plaintext: change encrypted fields with ``save()``.
``dumpdata`` emits text and JSON values as (re-encrypted) ciphertext, but Django's
serializers copy dates without asking the field: ``dumpdata`` is not a safe
export, ``memoria backup`` is.
"""

from __future__ import annotations

import datetime
import json

from django import forms
from django.core import validators
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from memoria.vault.cipher import decrypt_text, encrypt_text, is_ciphertext

ALLOWED_LOOKUPS = frozenset({"isnull", "exact", "in"})


def organization_id_of(instance) -> int:
    """The organization whose key encrypts ``instance``'s fields."""
    if hasattr(type(instance), "vault_organization_id"):
        organization_id = instance.vault_organization_id
    elif hasattr(instance, "organization_id"):
        organization_id = instance.organization_id
    else:
        raise ImproperlyConfigured(
            f"{type(instance).__name__} has encrypted fields but neither an organization "
            "foreign key nor a vault_organization_id property"
        )
    if organization_id is None:
        raise ValueError(
            f"{type(instance).__name__} needs its organization before encrypted fields are saved"
        )
    return organization_id


class EncryptedMixin:
    """Shared behaviour; subclasses say how a Python value becomes text and back."""

    empty_values_stored_plain: tuple = (None,)

    def get_internal_type(self) -> str:
        return "TextField"

    # -- conversions between the Python value and the plaintext string
    def to_plaintext(self, value) -> str:
        return str(value)

    def from_plaintext(self, text: str):
        return text

    @property
    def vault_context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def _is_empty(self, value) -> bool:
        return any(value is empty or value == empty for empty in self.empty_values_stored_plain)

    # -- writing
    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if self._is_empty(value) or is_ciphertext(value):
            return value
        return encrypt_text(
            organization_id_of(model_instance), self.to_plaintext(value), self.vault_context
        )

    def get_prep_value(self, value):
        if self._is_empty(value) or is_ciphertext(value):
            return value
        raise ValueError(
            f"{self.vault_context} is encrypted: it is written by save() and cannot be "
            "compared, filtered or updated in the database (search through blind indexes)"
        )

    def get_db_prep_value(self, value, connection, prepared=False):
        return self.get_prep_value(value)

    # -- reading
    def from_db_value(self, value, expression, connection):
        if self._is_empty(value):
            return value
        if is_ciphertext(value):
            return self.from_plaintext(
                decrypt_text(value, self.vault_context, using=connection.alias)
            )
        return self.from_plaintext(value)  # a value written before the field was encrypted

    def to_python(self, value):
        if self._is_empty(value) or is_ciphertext(value):
            return value  # ciphertext from a fixture is saved as it is
        return self.python_value(value)

    def python_value(self, value):
        return value

    def value_to_string(self, obj) -> str | None:
        """Serialization (``dumpdata``) writes ciphertext, never plaintext."""
        value = self.value_from_object(obj)
        if self._is_empty(value) or is_ciphertext(value):
            return value
        return encrypt_text(organization_id_of(obj), self.to_plaintext(value), self.vault_context)

    # -- not searchable
    def get_lookup(self, lookup_name):
        if lookup_name not in ALLOWED_LOOKUPS:
            raise FieldError(
                f"{self.vault_context} is encrypted and cannot be searched with "
                f"'{lookup_name}'; search through blind indexes"
            )
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name):
        return None


class EncryptedTextField(EncryptedMixin, models.TextField):
    """Free text (testimonies, descriptions, addresses), stored encrypted."""

    empty_values_stored_plain = (None, "")

    def python_value(self, value):
        return str(value)


class EncryptedCharField(EncryptedMixin, models.TextField):
    """A short string (a name, an alias, a CURP): ``max_length`` limits the plaintext."""

    empty_values_stored_plain = (None, "")

    def __init__(self, *args, max_length: int | None = None, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)
        if max_length is not None:
            self.validators.append(validators.MaxLengthValidator(max_length))

    def python_value(self, value):
        return str(value)

    def formfield(self, **kwargs):
        defaults = {"form_class": forms.CharField, "max_length": self.max_length}
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)


class EncryptedDateField(EncryptedMixin, models.TextField):
    """A ``datetime.date`` stored encrypted (an exact birth date, for instance)."""

    empty_values_stored_plain = (None, "")

    def from_db_value(self, value, expression, connection):
        return None if value == "" else super().from_db_value(value, expression, connection)

    def to_plaintext(self, value) -> str:
        return self.python_value(value).isoformat()

    def from_plaintext(self, text: str) -> datetime.date:
        return datetime.date.fromisoformat(text)

    def python_value(self, value):
        return models.DateField().to_python(value)

    def formfield(self, **kwargs):
        defaults = {"form_class": forms.DateField}
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)


class EncryptedJSONField(EncryptedMixin, models.TextField):
    """Any JSON-able value (contact details, exact coordinates) stored encrypted.

    ``None`` is stored as SQL NULL, not as the JSON ``null``; ``""`` stays ``""``.
    """

    empty_values_stored_plain = (None, "")

    def to_plaintext(self, value) -> str:
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)

    def from_plaintext(self, text: str):
        return json.loads(text)

    def formfield(self, **kwargs):
        defaults = {"form_class": forms.JSONField}
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)
