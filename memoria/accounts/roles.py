"""Roles within an organization and what each may do.

Views ask for a capability, never for a role, so that a new role (or a
sharing agreement in a later release) changes this table and nothing else.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    DOCUMENTER = "documenter", _("Documenter")
    ANALYST = "analyst", _("Analyst")
    READER = "reader", _("Reader")


class Capability(StrEnum):
    READ_RECORDS = "read_records"
    EDIT_RECORDS = "edit_records"
    RUN_ANALYSES = "run_analyses"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_ORGANIZATION = "manage_organization"
    EXPORT_IDENTITIES = "export_identities"
    VIEW_HISTORY = "view_history"


CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.COORDINATOR: frozenset(Capability),
    Role.DOCUMENTER: frozenset({Capability.READ_RECORDS, Capability.EDIT_RECORDS}),
    Role.ANALYST: frozenset({Capability.READ_RECORDS, Capability.RUN_ANALYSES}),
    Role.READER: frozenset({Capability.READ_RECORDS}),
}


def role_can(role: str, capability: Capability) -> bool:
    return capability in CAPABILITIES.get(role, frozenset())
