"""Readable names for audit actions and record kinds; unknown ones show their code.

Every action code passed to ``audit()`` in ``memoria/`` needs a label here
(tests/web/test_audit_labels.py fails otherwise). Codes are
``<thing>.<what happened>``: the cases app uses the verb (``case.create``),
accounts the past participle (``member.invited``).
"""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    # Signing in and out
    "login": _("Signed in with password"),
    "login.failed": _("Failed sign-in"),
    "login.two_factor": _("Confirmed sign-in with a code"),
    "login.two_factor_failed": _("Wrong sign-in code"),
    "login.recovery_code": _("Signed in with a recovery code"),
    "logout": _("Signed out"),
    "two_factor.enrolled": _("Set up two-step sign-in"),
    "reauth": _("Confirmed identity again"),
    "reauth.failed": _("Failed to confirm identity"),
    # Members and the organization
    "member.invited": _("Invited a person"),
    "member.invitation_revoked": _("Withdrew an invitation"),
    "member.joined": _("Joined the organization"),
    "member.role_changed": _("Changed a role"),
    "member.removed": _("Removed a member"),
    "organization.updated": _("Changed the organization's details"),
    # Keys
    "keys.rotated": _("Rotated the encryption key"),
    "keys.master_rotated": _("Rotated the master key"),
    # Cases
    "case.list": _("Viewed the list of cases"),
    "case.create": _("Registered a case"),
    "case.view": _("Viewed a case"),
    "case.update": _("Changed a case"),
    "case.history": _("Viewed a case's history of changes"),
    "case.remove": _("Removed part of a case"),
    "person.search": _("Searched for a person"),
    "person.create": _("Registered a person"),
    "person.view": _("Viewed a person's record"),
    "person.update": _("Changed a person's record"),
    "act.create": _("Recorded an act against a victim"),
    "act.update": _("Changed an act against a victim"),
    "perpetrator.create": _("Attributed responsibility to a perpetrator"),
    "perpetrator.update": _("Changed an attribution of responsibility"),
    "source.create": _("Recorded a source"),
    "source.update": _("Changed a source"),
    "attachment.create": _("Attached a file"),
    "attachment.download": _("Downloaded an attached file"),
    "relative.update": _("Changed whose relative someone is"),
    "intervention.create": _("Recorded an intervention"),
    "intervention.update": _("Changed an intervention"),
    "vocabulary.create": _("Added a term to a vocabulary"),
    "vocabulary.update": _("Changed a term of a vocabulary"),
    "cases.import": _("Imported cases from a file"),
    "cases.reindex": _("Rebuilt the search index of people"),
    "cases.export": _("Exported cases without identities"),
    "cases.export_identities": _("Exported cases with identities"),
    # Sharing between organizations
    "share.granted": _("Shared a record with another organization"),
    "share.revoked": _("Stopped sharing a record with another organization"),
    "share.viewed": _("Another organization read a shared record"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def target_label(target_type: str) -> str:
    """The kind of record an entry points to, in the reader's language (``app.model``)."""
    if not target_type:
        return ""
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return target_type
    return str(model._meta.verbose_name)
