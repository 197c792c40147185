"""Readable names for audit actions; unknown actions show their code."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "login": _("Signed in with password"),
    "login.failed": _("Failed sign-in"),
    "login.two_factor": _("Confirmed sign-in with a code"),
    "login.two_factor_failed": _("Wrong sign-in code"),
    "login.recovery_code": _("Signed in with a recovery code"),
    "logout": _("Signed out"),
    "two_factor.enrolled": _("Set up two-step sign-in"),
    "reauth": _("Confirmed identity again"),
    "reauth.failed": _("Failed to confirm identity"),
    "member.invited": _("Invited a person"),
    "member.invitation_revoked": _("Withdrew an invitation"),
    "member.joined": _("Joined the organization"),
    "member.role_changed": _("Changed a role"),
    "member.removed": _("Removed a member"),
    "organization.updated": _("Changed the organization's details"),
    "keys.rotated": _("Rotated the encryption key"),
    "keys.master_rotated": _("Rotated the master key"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
