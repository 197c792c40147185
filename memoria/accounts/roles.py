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
    # Follow victims' registrations, requests and reparations (memoria.victims): the
    # records of a family's path through the victims' law. Analysts see its figures only.
    FOLLOW_VICTIMS = "follow_victims"
    # People at risk and their protection (memoria.protection): analysts see none of it.
    READ_PROTECTION = "read_protection"
    # Anonymous reports from the public (memoria.reports): the moderation queue. Deciding
    # on a report needs EDIT_RECORDS; analysts see only the public feed.
    READ_REPORTS = "read_reports"
    # The search for the disappeared (memoria.search): families' ante-mortem files with
    # their contacts and DNA donors, graves, remains. Writing takes EDIT_RECORDS as well.
    # Analysts see none of it (they match exported tables with `memoria match`).
    READ_SEARCH = "read_search"


CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.COORDINATOR: frozenset(Capability),
    Role.DOCUMENTER: frozenset(
        {
            Capability.READ_RECORDS,
            Capability.EDIT_RECORDS,
            Capability.FOLLOW_VICTIMS,
            Capability.READ_PROTECTION,
            Capability.READ_REPORTS,
            Capability.READ_SEARCH,
        }
    ),
    Role.ANALYST: frozenset({Capability.READ_RECORDS, Capability.RUN_ANALYSES}),
    Role.READER: frozenset(
        {
            Capability.READ_RECORDS,
            Capability.FOLLOW_VICTIMS,
            Capability.READ_PROTECTION,
            Capability.READ_REPORTS,
            Capability.READ_SEARCH,
        }
    ),
}


def role_can(role: str, capability: Capability) -> bool:
    return capability in CAPABILITIES.get(role, frozenset())
