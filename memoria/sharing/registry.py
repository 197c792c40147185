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

``consent`` says how far the people in a record allow it to travel under a
sharing agreement (``Consent``: not at all, in counts only, without names,
by name); ``dependents`` names the records whose consent follows from this one
(a person's consent bounds the cases they are in). Grant sources
(``register_grant_source``) say which fields of a record each mechanism —
referrals, agreements — wants an organization to read; the copy holds their
union.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum

from django.db import models


class Consent(IntEnum):
    """How far the people in a record allow it to go under an agreement (ordered)."""

    NONE = 0  # private to the organization
    AGGREGATE = 1  # counted, never shown one by one
    PSEUDONYMIZED = 2  # shown one by one without what identifies anyone
    NAMED = 3  # shown with names: the family's consent is recorded


def _no_consent(instance) -> Consent:
    return Consent.NONE


def _no_dependents(instance) -> list:
    return []


@dataclass(frozen=True)
class Shareable:
    model: type[models.Model]
    fields: dict[str, str]  # field name -> label shown to the recipient
    identity_fields: frozenset[str]  # fields that identify a person
    serialize: Callable[[object], object]  # a field's value -> JSON
    consent: Callable[[models.Model], Consent] = _no_consent
    dependents: Callable[[models.Model], list] = _no_dependents
    extra: dict = field(default_factory=dict)

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
    consent: Callable[[models.Model], Consent] = _no_consent,
    dependents: Callable[[models.Model], list] = _no_dependents,
    label: str = "",
    aggregates: dict | None = None,
    figures: Callable | None = None,
) -> None:
    """``aggregates``: name -> (label, value of an instance): what counts show it by.
    ``figures``: (organization, k) -> the suppressed figures a counts-only agreement
    carries of this kind instead (the cases' statistics, ``memoria.cases.shared_figures``)."""
    unknown = set(identity_fields) - set(fields)
    if unknown:
        raise ValueError(f"identity fields not shareable: {sorted(unknown)}")
    shareable = Shareable(
        model,
        dict(fields),
        frozenset(identity_fields),
        serialize,
        consent=consent,
        dependents=dependents,
        extra={
            "label": label or model._meta.verbose_name_plural,
            "aggregates": aggregates or {},
            "figures": figures,
        },
    )
    _registry[shareable.kind] = shareable


def kinds() -> list[Shareable]:
    """Every shareable kind, in registration order."""
    return list(_registry.values())


# A grant source: (instance, recipient organization id) -> the field names it wants shared.
GrantSource = Callable[[models.Model, int], Iterable[str]]
_sources: dict[str, GrantSource] = {}


def register_grant_source(name: str, source: GrantSource) -> None:
    _sources[name] = source


def grant_sources() -> list[GrantSource]:
    return list(_sources.values())


def shareable(model_or_kind) -> Shareable:
    kind = model_or_kind if isinstance(model_or_kind, str) else model_or_kind._meta.label_lower
    try:
        return _registry[kind]
    except KeyError:
        raise LookupError(f"{kind} cannot be shared") from None


def is_shareable(model: type[models.Model]) -> bool:
    return model._meta.label_lower in _registry
