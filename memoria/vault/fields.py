"""Model fields whose values are stored encrypted (AES-256-GCM, per-organization key).

Usage, on any model with an ``organization`` foreign key, or with a property
``vault_organization_id`` (for child rows whose organization is their parent's)::

    full_name = EncryptedCharField(_("full name"), max_length=200)
    testimony = EncryptedTextField(_("testimony"), blank=True)
    birth_date = EncryptedDateField(_("birth date"), null=True, blank=True)
    latitude = EncryptedDecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True)
    contact = EncryptedJSONField(_("contact"), null=True, blank=True)
    content = EncryptedBinaryField(blank=True)  # a file's bytes
    is_child = EncryptedBooleanField(_("child"), default=False)
    state = EncryptedReferenceField("places.State", null=True, blank=True)

Values are encrypted in ``pre_save`` (``save()``, ``create()``, ``bulk_create()``);
the column holds text ``mv1:<key id>:<base64>`` (``EncryptedBinaryField``: the
bytes ``MVB1 | key id | nonce | ciphertext+tag``, with no text encoding). Python
code sees plaintext.
Empty values (``None``, and ``""`` for the text fields) are stored as they are,
unencrypted: that a field is blank is not secret. Two exceptions, for values
that describe a victim whether or not they are set: ``EncryptedBooleanField``
encrypts ``False`` like ``True``, and ``EncryptedReferenceField`` (a reference
to another row, kept as its encrypted primary key) encrypts an empty reference
too, so a copy cannot tell a set reference from an empty one.

Every other value is encrypted, whatever it looks like: a person may type
``mv1:…`` into a form. Only a ``memoria.vault.cipher.Sealed`` string, which the
vault's encryption functions return (``memoria.cases.io.bulk`` seals batches
with them), is stored as it is, and only if its key is the row's organization's.

Reading is lazy: a model instance holds what the column held (a ``Stored``
string) until the attribute is first read; then the value is decrypted and the
data key named in its header must belong to the row's organization (checked
against ``organization_id`` / ``vault_organization_id``), otherwise ``VaultError``.
So a ciphertext moved into another organization's row is refused, not shown.
``values()`` and ``values_list()`` build no instance: they return encrypted
fields as ``Stored`` ciphertext; read encrypted fields through model instances.

They cannot be searched, filtered or ordered in the database: only ``isnull``
and equality with an empty value work; any other lookup raises ``FieldError``.
Search goes through blind indexes (``memoria.vault.blind.blind_tokens``).
``QuerySet.update()`` and ``bulk_update()`` with a plaintext value raise
``ValueError`` instead of storing plaintext: change encrypted fields with ``save()``.
``dumpdata`` emits text and JSON values as (re-encrypted) ciphertext, but Django's
serializers copy dates and decimals without asking the field, and ``loaddata``
cannot load ciphertext back (in a fixture it cannot be told from typed text):
``dumpdata`` is not a safe export and fixtures are no way to move data;
``memoria backup`` is.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import threading
import time

from django import forms
from django.apps import apps
from django.core import validators
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.backends.utils import format_number
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_delete, post_save
from django.utils.functional import cached_property

from memoria.vault.cipher import (
    Sealed,
    SealedBytes,
    check_key_organization,
    decrypt_bytes,
    decrypt_text,
    encrypt_bytes,
    encrypt_text,
    is_ciphertext,
    is_file_ciphertext,
    key_id_of_bytes,
)

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


class Stored(str):
    """A ciphertext as read from an encrypted column, not yet decrypted.

    A model instance keeps it until the attribute is read (``EncryptedAttribute``
    then decrypts it and checks its organization); ``values()`` returns it as is.
    Unlike ``Sealed``, it is never written back as it is: saving decrypts and
    encrypts again, under the organization's active key.
    """

    __slots__ = ()


class StoredBytes(bytes):
    """A file ciphertext as read from an encrypted binary column (see ``Stored``)."""

    __slots__ = ()


class EncryptedAttribute(DeferredAttribute):
    """Decrypts a field's value when it is first read, once the row's organization is known."""

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        if self.field.attname not in instance.__dict__:
            self._load_deferred(instance)
        value = instance.__dict__[self.field.attname]
        if isinstance(value, Stored | StoredBytes):
            value = self.field.open(instance, value)
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance, value):
        # A data descriptor, so reads go through __get__ even once the value is set.
        instance.__dict__[self.field.attname] = value

    def _load_deferred(self, instance) -> None:
        """Load a deferred value (``defer()``/``only()``) still encrypted, in one query.

        Django's ``refresh_from_db`` would read it through a second instance
        whose organization is deferred too, costing another query to check it.
        """
        manager = type(instance)._base_manager.db_manager(
            instance._state.db, hints={"instance": instance}
        )
        rows = manager.filter(pk=instance.pk).values_list(self.field.attname, flat=True)
        instance.__dict__[self.field.attname] = rows.get()


class EncryptedMixin:
    """Shared behaviour; subclasses say how a Python value becomes text and back."""

    descriptor_class = EncryptedAttribute
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
        raw = model_instance.__dict__.get(self.attname)
        if isinstance(raw, Sealed):  # sealed by the vault for this row (bulk loads)
            check_key_organization(raw, organization_id_of(model_instance))
            return raw
        value = getattr(model_instance, self.attname)  # decrypts a value loaded earlier
        if self._is_empty(value):
            return value
        return encrypt_text(
            organization_id_of(model_instance), self.to_plaintext(value), self.vault_context
        )

    def get_prep_value(self, value):
        if self._is_empty(value):
            return value
        if isinstance(value, Sealed):
            return str(value)
        raise ValueError(
            f"{self.vault_context} is encrypted: it is written by save() and cannot be "
            "compared, filtered, updated or loaded from a fixture in the database "
            "(search through blind indexes)"
        )

    def get_db_prep_value(self, value, connection, prepared=False):
        return self.get_prep_value(value)

    # -- reading
    def from_db_value(self, value, expression, connection):
        if self._is_empty(value):
            return value
        if is_ciphertext(value):
            return Stored(value)  # decrypted by EncryptedAttribute, on first read
        return self.from_plaintext(value)  # a value written before the field was encrypted

    def open(self, instance, value: Stored):
        """Decrypt a value read from ``instance``'s row, refusing another organization's key."""
        plaintext = decrypt_text(
            value,
            self.vault_context,
            using=instance._state.db,
            organization_id=organization_id_of(instance),
        )
        return self.from_plaintext(plaintext)

    def to_python(self, value):
        if self._is_empty(value) or isinstance(value, Sealed | Stored):
            return value
        return self.python_value(value)

    def python_value(self, value):
        return value

    def value_to_string(self, obj) -> str | None:
        """Serialization (``dumpdata``) writes ciphertext, never plaintext."""
        value = self.value_from_object(obj)
        if self._is_empty(value):
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


class EncryptedDecimalField(EncryptedMixin, models.TextField):
    """A ``Decimal`` stored encrypted (the exact coordinates of a place, for instance)."""

    empty_values_stored_plain = (None, "")

    def __init__(self, *args, max_digits: int, decimal_places: int, **kwargs):
        self.max_digits, self.decimal_places = max_digits, decimal_places
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(max_digits=self.max_digits, decimal_places=self.decimal_places)
        return name, path, args, kwargs

    @cached_property
    def validators(self):
        return [
            *super().validators,
            validators.DecimalValidator(self.max_digits, self.decimal_places),
        ]

    @cached_property
    def _decimal_field(self) -> models.DecimalField:
        return models.DecimalField(max_digits=self.max_digits, decimal_places=self.decimal_places)

    def from_db_value(self, value, expression, connection):
        return None if value == "" else super().from_db_value(value, expression, connection)

    def to_plaintext(self, value) -> str:
        return format_number(self.python_value(value), self.max_digits, self.decimal_places)

    def from_plaintext(self, text: str) -> decimal.Decimal:
        return decimal.Decimal(text)

    def python_value(self, value):
        return self._decimal_field.to_python(value)

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.DecimalField,
            "max_digits": self.max_digits,
            "decimal_places": self.decimal_places,
        }
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)


class EncryptedJSONField(EncryptedMixin, models.TextField):
    """Any JSON-able value (an age, a record's change history) stored encrypted.

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


class EncryptedBinaryField(EncryptedMixin, models.BinaryField):
    """Bytes (a file) stored encrypted as bytes: ``MVB1 | key id | nonce | ciphertext+tag``.

    The same rules as the text fields: the key named in the header must be the
    row's organization's, the value is decrypted on first read, ``None`` and
    ``b""`` are stored as they are, and nothing else can be compared or updated
    in the database. Only ``SealedBytes`` from the vault are stored as they are.
    """

    empty_values_stored_plain = (None, b"")

    def get_internal_type(self) -> str:
        return "BinaryField"

    def _is_empty(self, value) -> bool:
        return value is None or (isinstance(value, bytes | bytearray | memoryview) and not value)

    def pre_save(self, model_instance, add):
        raw = model_instance.__dict__.get(self.attname)
        if isinstance(raw, SealedBytes):  # sealed by the vault for this row
            check_key_organization(raw, organization_id_of(model_instance))
            return raw
        value = getattr(model_instance, self.attname)
        if self._is_empty(value):
            return value
        return encrypt_bytes(
            organization_id_of(model_instance), self.python_value(value), self.vault_context
        )

    def get_prep_value(self, value):
        if self._is_empty(value) or isinstance(value, SealedBytes):
            return value
        raise ValueError(
            f"{self.vault_context} is encrypted: it is written by save() and cannot be "
            "compared, filtered or updated in the database"
        )

    def get_db_prep_value(self, value, connection, prepared=False):
        value = self.get_prep_value(value)
        return None if value is None else connection.Database.Binary(bytes(value))

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        value = bytes(value)  # PostgreSQL gives a memoryview
        if is_file_ciphertext(value):
            return StoredBytes(value)
        return value  # empty, or written before the field was encrypted

    def open(self, instance, value: StoredBytes) -> bytes:
        key_id_of_bytes(value)  # a malformed header fails here, before any key is looked up
        return decrypt_bytes(
            value,
            self.vault_context,
            using=instance._state.db,
            organization_id=organization_id_of(instance),
        )

    def to_python(self, value):
        if self._is_empty(value) or isinstance(value, SealedBytes | StoredBytes):
            return value
        return self.python_value(value)

    def python_value(self, value) -> bytes:
        if isinstance(value, str):
            return models.BinaryField().to_python(value)  # base64, as Django serializes bytes
        return bytes(value)

    def value_to_string(self, obj) -> str | None:
        """Serialization writes the ciphertext, base64-encoded as Django does for bytes."""
        value = self.value_from_object(obj)
        if self._is_empty(value):
            return None if value is None else ""
        sealed = encrypt_bytes(
            organization_id_of(obj), self.python_value(value), self.vault_context
        )
        return base64.b64encode(sealed).decode("ascii")


class EncryptedBooleanField(EncryptedMixin, models.TextField):
    """A yes/no stored encrypted; ``False`` is encrypted too, so a copy cannot count the yeses."""

    empty_values_stored_plain = (None,)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", False)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def to_plaintext(self, value) -> str:
        return "1" if self.python_value(value) else "0"

    def from_plaintext(self, text: str) -> bool:
        return text in ("1", "t", "true", "True")  # the last ones: a column not yet encrypted

    def from_db_value(self, value, expression, connection):
        if value is None:  # a row from before the column was added
            return False
        if isinstance(value, bool | int):  # a boolean column not yet encrypted
            return bool(value)
        return super().from_db_value(value, expression, connection)

    def python_value(self, value) -> bool:
        return models.BooleanField().to_python(value)

    def formfield(self, **kwargs):
        defaults = {"form_class": forms.BooleanField, "required": False}
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)


# Referenced rows (a state, a vocabulary term) by (model label, database, pk),
# shared by the process; emptied for a model when one of its rows is saved or deleted
# here, and read again after REFERENCE_SECONDS, so that a label changed in another
# process (another server worker, the job worker) shows everywhere soon after.
REFERENCE_SECONDS = 30
_references: dict[tuple[str, str], dict] = {}
_references_lock = threading.Lock()
_watched: set[str] = set()


def clear_reference_cache(sender=None, **kwargs) -> None:
    """Forget cached referenced rows: of ``sender`` (a model), or all of them."""
    with _references_lock:
        if sender is None:
            _references.clear()
            return
        for key in [k for k in _references if k[0] == sender._meta.label_lower]:
            del _references[key]


def _watch(model) -> None:
    label = model._meta.label_lower
    if label in _watched:
        return
    _watched.add(label)
    post_save.connect(clear_reference_cache, sender=model, dispatch_uid=f"vault-ref-{label}")
    post_delete.connect(clear_reference_cache, sender=model, dispatch_uid=f"vault-ref-{label}")


def referenced(model, pk, using: str = "default"):
    """The row of ``model`` whose primary key is ``pk`` (cached; ``None`` for no pk)."""
    if pk is None:
        return None
    _watch(model)
    key = (model._meta.label_lower, using)
    now = time.monotonic()
    with _references_lock:
        rows = _references.setdefault(key, {})
        found, read_at = rows.get(pk, (None, 0.0))
    if found is None or now - read_at > REFERENCE_SECONDS:
        found = model._base_manager.using(using).get(pk=pk)
        with _references_lock:
            _references.setdefault(key, {})[pk] = (found, now)
    return found


class ReferenceAttribute:
    """``record.state``: the referenced row, from the decrypted primary key in ``state_id``."""

    def __init__(self, field):
        self.field = field

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        pk = getattr(instance, self.field.attname)
        return referenced(self.field.target, pk, instance._state.db or "default")

    def __set__(self, instance, value):
        if value is not None and not isinstance(value, self.field.target):
            raise ValueError(
                f'Cannot assign "{value!r}": "{self.field.vault_context}" must be a '
                f"{self.field.target._meta.object_name} instance."
            )
        setattr(instance, self.field.attname, None if value is None else value.pk)


class EncryptedReferenceField(EncryptedMixin, models.TextField):
    """A reference to another row (a state, a vocabulary term) whose primary key is encrypted.

    Used like a foreign key: ``record.state`` is the row (read through a
    per-process cache, emptied when a row of that model is saved or deleted),
    ``record.state_id`` its primary key; assigning either works, and
    ``formfield()`` is a ``ModelChoiceField`` over the model's rows (with
    ``limit_choices_to``). The database sees neither a join nor a constraint:
    the referenced rows must not be deleted (vocabulary terms are retired,
    never deleted), and nothing can be filtered, ordered or grouped by it in
    SQL. An empty reference is encrypted too (the ciphertext of ``""``):
    that a victim's situation or a case's municipality is unknown is
    something a copy should not tell either.
    """

    empty_values_stored_plain = ()

    def __init__(self, to, *args, limit_choices_to=None, **kwargs):
        self.to = to
        self.limit_choices_to = limit_choices_to
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        target = self.to if isinstance(self.to, str) else self.to._meta.label
        kwargs["to"] = target
        if self.limit_choices_to is not None:
            kwargs["limit_choices_to"] = self.limit_choices_to
        return name, path, args, kwargs

    @cached_property
    def target(self):
        if isinstance(self.to, str):
            return apps.get_model(self.to)
        return self.to

    def get_attname(self) -> str:
        return f"{self.name}_id"

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only=private_only)
        setattr(cls, self.name, ReferenceAttribute(self))

    def _pk(self, value):
        if isinstance(value, models.Model):
            return value.pk
        if value is None or value == "":
            return None
        return self.target._meta.pk.to_python(value)

    def to_plaintext(self, value) -> str:
        pk = self._pk(value)
        return "" if pk is None else str(pk)

    def from_plaintext(self, text: str):
        return self._pk(text)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return super().from_db_value(value, expression, connection)

    def get_prep_value(self, value):
        if value is None:  # a column's default when it is added (read back as no reference)
            return None
        if isinstance(value, Sealed):
            return str(value)
        raise ValueError(
            f"{self.vault_context} is encrypted: it is written by save() and cannot be "
            "compared, filtered or updated in the database"
        )

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":  # an empty reference is a ciphertext too
            raise FieldError(
                f"{self.vault_context} is encrypted, empty or not: it cannot be searched"
            )
        return super().get_lookup(lookup_name)

    def python_value(self, value):
        return self._pk(value)

    def value_from_object(self, obj):
        return getattr(obj, self.attname)

    def save_form_data(self, instance, data):
        setattr(instance, self.name, data)

    def formfield(self, **kwargs):
        queryset = self.target._default_manager.all()
        if self.limit_choices_to:
            queryset = queryset.complex_filter(self.limit_choices_to)
        defaults = {
            "form_class": forms.ModelChoiceField,
            "queryset": queryset,
            "required": not self.blank,
        }
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)
