"""Which kinds of record may be shared, which of their fields, and how each is copied.

A feature app registers each shareable model in its ``AppConfig.ready()``:

    register_shareable(
        Event,
        fields={"title": _("Title"), "status": _("Status")},
        identity_fields={"title"},
        serialize=plain_value,
    )

Only registered fields can be granted, so adding a field to a model never
widens what an existing grant reveals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class Shareable:
    model: type[models.Model]
    fields: dict[str, str]  # field name -> label shown to the recipient
    identity_fields: frozenset[str]  # fields that identify a person
    serialize: Callable[[object], object]  # a field's value -> JSON

    @property
    def kind(self) -> str:
        return self.model._meta.label_lower

    def project(self, instance: models.Model, fields) -> dict:
        """The granted fields of ``instance`` that are still shareable, as JSON values.

        A field taken out of the registry stops being copied at the next refresh,
        whatever older grants say.
        """
        return {
            field: self.serialize(getattr(instance, field))
            for field in fields
            if field in self.fields
        }


_registry: dict[str, Shareable] = {}


def register_shareable(
    model: type[models.Model],
    *,
    fields: dict[str, str],
    identity_fields=(),
    serialize: Callable[[object], object],
) -> None:
    unknown = set(identity_fields) - set(fields)
    if unknown:
        raise ValueError(f"identity fields not shareable: {sorted(unknown)}")
    shareable = Shareable(model, dict(fields), frozenset(identity_fields), serialize)
    _registry[shareable.kind] = shareable


def shareable(model_or_kind) -> Shareable:
    kind = model_or_kind if isinstance(model_or_kind, str) else model_or_kind._meta.label_lower
    try:
        return _registry[kind]
    except KeyError:
        raise LookupError(f"{kind} cannot be shared") from None


def is_shareable(model: type[models.Model]) -> bool:
    return model._meta.label_lower in _registry
