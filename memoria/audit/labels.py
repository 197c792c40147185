"""The registry of audit actions and record kinds, and their readable names.

Codes are ``<thing>.<what happened>``: the cases app uses the verb
(``case.create``), accounts the past participle (``member.invited``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    """Every action the audit log records: ``NAME = "code", _("label")``.

    The code is what the database stores (never change one: old entries keep
    it); the label is what the audit page shows. ``audit()`` refuses a code
    that is not here. To record a new kind of action, add one line in the
    section of its app and translate the label (bin/messages).
    """

    # Signing in and out
    LOGIN = "login", _("Signed in with password")
    LOGIN_FAILED = "login.failed", _("Failed sign-in")
    LOGIN_TWO_FACTOR = "login.two_factor", _("Confirmed sign-in with a code")
    LOGIN_TWO_FACTOR_FAILED = "login.two_factor_failed", _("Wrong sign-in code")
    LOGIN_RECOVERY_CODE = "login.recovery_code", _("Signed in with a recovery code")
    LOGOUT = "logout", _("Signed out")
    TWO_FACTOR_ENROLLED = "two_factor.enrolled", _("Set up two-step sign-in")
    TWO_FACTOR_RECOVERY_CODES_REPLACED = (
        "two_factor.recovery_codes_replaced",
        _("Replaced the recovery codes"),
    )
    REAUTH = "reauth", _("Confirmed identity again")
    REAUTH_FAILED = "reauth.failed", _("Failed to confirm identity")
    PASSWORD_CHANGED = "password.changed", _("Changed their password")
    PASSWORD_RESET = "password.reset", _("Reset their password by e-mail")
    # Members and the organization
    MEMBER_INVITED = "member.invited", _("Invited a person")
    MEMBER_INVITATION_REVOKED = "member.invitation_revoked", _("Withdrew an invitation")
    MEMBER_JOINED = "member.joined", _("Joined the organization")
    MEMBER_ROLE_CHANGED = "member.role_changed", _("Changed a role")
    MEMBER_REMOVED = "member.removed", _("Removed a member")
    ORGANIZATION_UPDATED = "organization.updated", _("Changed the organization's details")
    AUDIT_VIEW = "audit.view", _("Viewed the audit log")
    # Keys
    KEYS_ROTATED = "keys.rotated", _("Rotated the encryption key")
    KEYS_MASTER_ROTATED = "keys.master_rotated", _("Rotated the master key")
    # Cases
    CASE_LIST = "case.list", _("Viewed the list of cases")
    CASE_CREATE = "case.create", _("Registered a case")
    CASE_VIEW = "case.view", _("Viewed a case")
    CASE_UPDATE = "case.update", _("Changed a case")
    CASE_HISTORY = "case.history", _("Viewed a case's history of changes")
    CASE_REMOVE = "case.remove", _("Removed part of a case")
    PERSON_SEARCH = "person.search", _("Searched for a person")
    PERSON_MATCHES = "person.matches", _("Was shown people already recorded with a similar name")
    PERSON_CREATE = "person.create", _("Registered a person")
    PERSON_VIEW = "person.view", _("Viewed a person's record")
    PERSON_UPDATE = "person.update", _("Changed a person's record")
    PERSON_HISTORY = "person.history", _("Viewed a person's history of changes")
    ACT_CREATE = "act.create", _("Recorded an act against a victim")
    ACT_UPDATE = "act.update", _("Changed an act against a victim")
    PERPETRATOR_CREATE = "perpetrator.create", _("Attributed responsibility to a perpetrator")
    PERPETRATOR_UPDATE = "perpetrator.update", _("Changed an attribution of responsibility")
    SOURCE_CREATE = "source.create", _("Recorded a source")
    SOURCE_UPDATE = "source.update", _("Changed a source")
    ATTACHMENT_CREATE = "attachment.create", _("Attached a file")
    ATTACHMENT_DOWNLOAD = "attachment.download", _("Downloaded an attached file")
    RELATIVE_CREATE = "relative.create", _("Recorded someone already registered as a relative")
    RELATIVE_UPDATE = "relative.update", _("Changed whose relative someone is")
    INTERVENTION_CREATE = "intervention.create", _("Recorded an intervention")
    INTERVENTION_UPDATE = "intervention.update", _("Changed an intervention")
    VOCABULARY_CREATE = "vocabulary.create", _("Added a term to a vocabulary")
    VOCABULARY_UPDATE = "vocabulary.update", _("Changed a term of a vocabulary")
    CASES_IMPORT = "cases.import", _("Imported cases from a file")
    CASES_REINDEX = "cases.reindex", _("Rebuilt the search index of people")
    CASES_EXPORT = "cases.export", _("Exported cases without identities")
    CASES_EXPORT_IDENTITIES = "cases.export_identities", _("Exported cases with identities")
    CASES_EXPORT_DOWNLOAD = "cases.export_download", _("Downloaded an export the worker made")
    # Sharing between organizations
    SHARE_GRANTED = "share.granted", _("Shared a record with another organization")
    SHARE_REVOKED = "share.revoked", _("Stopped sharing a record with another organization")
    SHARE_VIEWED = "share.viewed", _("Another organization read a shared record")


def action_label(action: str) -> str:
    """The action's label in the reader's language; its code if it is no longer registered."""
    try:
        return str(AuditAction(action).label)
    except ValueError:
        return action


def target_label(target_type: str) -> str:
    """The kind of record an entry points to, in the reader's language (``app.model``)."""
    if not target_type:
        return ""
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return target_type
    return str(model._meta.verbose_name)


# How each app names its records on the audit log page: target type ("cases.event") →
# namer(organization, ids, identities) -> {id: name}. Filled by each app's ready(), so
# the log, below the feature apps, names their records without importing them.
_TARGET_NAMERS: dict[str, Callable[..., dict[str, str]]] = {}


def register_target_names(target_type: str, namer: Callable[..., dict[str, str]]) -> None:
    _TARGET_NAMERS[target_type] = namer


def target_names(organization, entries, *, identities: bool) -> dict[tuple[str, str], str]:
    """Names of the records ``entries`` point to, as members know them (case #3, a name).

    A record with no registered namer, or since removed, is left out: the page
    then says its kind and id.
    """
    wanted: dict[str, set[str]] = {}
    for entry in entries:
        if entry.target_type in _TARGET_NAMERS and entry.target_id:
            wanted.setdefault(entry.target_type, set()).add(entry.target_id)
    names = {}
    for target_type, ids in wanted.items():
        found = _TARGET_NAMERS[target_type](organization, sorted(ids), identities)
        names.update({(target_type, target_id): name for target_id, name in found.items()})
    return names
