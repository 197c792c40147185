"""Write paths for organizations, memberships, sign-in devices and data keys.

Each action is one transaction, and writes its audit entry inside it: the
change and its entry commit together or not at all. Views call an action and
never audit a write themselves.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from memoria.accounts.models import (
    INVITATION_LIFETIME,
    Invitation,
    Membership,
    Organization,
    SealedStaticDevice,
    SealedTOTPDevice,
    User,
    hash_token,
)
from memoria.accounts.roles import Role
from memoria.accounts.twofactor import devices_accepting, replace_recovery_codes
from memoria.audit.log import audit
from memoria.vault.models import OrganizationKey
from memoria.vault.rotation import rotate_organization


class LastCoordinatorError(Exception):
    """An organization must keep at least one coordinator."""


@transaction.atomic
def invite_member(
    organization: Organization,
    email: str,
    role: str,
    invited_by: User,
    base_url: str,
    request=None,
) -> Invitation:
    """Create an invitation and e-mail its link. Earlier pending ones for the address lapse."""
    now = timezone.now()
    Invitation.objects.pending().filter(organization=organization, email=email).update(
        revoked_at=now
    )
    token = Invitation.new_token()
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by=invited_by,
        expires_at=now + INVITATION_LIFETIME,
    )
    audit(invited_by, organization, "member.invited", target=invitation, request=request, role=role)
    link = base_url.rstrip("/") + reverse("accounts:accept_invitation", args=[token])
    context = {"invitation": invitation, "link": link, "inviter": invited_by}
    subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
    body = render_to_string("accounts/email/invitation.txt", context)
    # Sent after commit: a rolled-back invitation must not leave a live link in a mailbox.
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email]))
    return invitation


@transaction.atomic
def revoke_invitation(invitation: Invitation, actor: User | None = None, request=None) -> None:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit(actor, invitation.organization, "member.invitation_revoked", invitation, request)


@transaction.atomic
def accept_invitation(invitation: Invitation, user: User, request=None) -> Membership:
    invitation = Invitation.objects.select_for_update(no_key=True).get(pk=invitation.pk)
    if not invitation.is_usable:
        raise ValueError("invitation no longer usable")
    membership, created = Membership.objects.get_or_create(
        user=user, organization=invitation.organization, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit(user, invitation.organization, "member.joined", membership, request, role=membership.role)
    return membership


@transaction.atomic
def create_account_from_invitation(invitation: Invitation, full_name: str, password: str) -> User:
    user = User.objects.create_user(invitation.email, password, full_name=full_name)
    accept_invitation(invitation, user)
    return user


def _ensure_coordinator_remains(membership: Membership) -> None:
    others = (
        Membership.objects.select_for_update(no_key=True)
        .filter(organization=membership.organization, role=Role.COORDINATOR)
        .exclude(pk=membership.pk)
    )
    if membership.role == Role.COORDINATOR and not others.exists():
        raise LastCoordinatorError


@transaction.atomic
def change_role(
    membership: Membership, role: str, actor: User | None = None, request=None
) -> Membership:
    # The stored role: a ModelForm has already put the new one on the instance.
    old_role = Membership.objects.filter(pk=membership.pk).values_list("role", flat=True).first()
    membership.role = old_role
    if role != Role.COORDINATOR:
        _ensure_coordinator_remains(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    audit(
        actor,
        membership.organization,
        "member.role_changed",
        membership,
        request,
        user_id=membership.user_id,
        old_role=old_role,
        role=role,
    )
    return membership


@transaction.atomic
def remove_member(membership: Membership, actor: User | None = None, request=None) -> None:
    _ensure_coordinator_remains(membership)
    audit(
        actor,
        membership.organization,
        "member.removed",
        membership,
        request,
        user_id=membership.user_id,
        role=membership.role,
    )
    membership.delete()


@transaction.atomic
def update_organization(
    organization: Organization, changes: dict, actor: User | None = None, request=None
) -> Organization:
    """Change an organization's details (``changes``: field name → new value)."""
    many_to_many = {field.name for field in Organization._meta.many_to_many}
    for name, value in changes.items():
        if name not in many_to_many:
            setattr(organization, name, value)
    organization.save()
    for name in many_to_many & set(changes):
        getattr(organization, name).set(changes[name])
    audit(actor, organization, "organization.updated", request=request, fields=sorted(changes))
    return organization


# --- data keys --------------------------------------------------------------------------


@transaction.atomic
def rotate_data_key(organization: Organization, actor: User | None = None, request=None):
    """Give the organization a new active data key (re-encryption follows, in batches)."""
    record: OrganizationKey = rotate_organization(organization)
    audit(actor, organization, "keys.rotated", request=request, key_id=record.key_id)
    return record


# --- two-factor sign-in -----------------------------------------------------------------


@transaction.atomic
def enrol_two_factor(user: User, device: SealedTOTPDevice, request=None) -> list[str]:
    """Confirm ``device`` as the user's only authenticator; return fresh recovery codes."""
    SealedTOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = replace_recovery_codes(user)
    audit(user, None, "two_factor.enrolled", request=request)
    return codes


@transaction.atomic
def renew_recovery_codes(user: User, request=None) -> list[str]:
    """Issue fresh recovery codes (the old ones stop working); return them to show once."""
    codes = replace_recovery_codes(user)
    audit(user, None, "two_factor.recovery_codes_replaced", request=request)
    return codes


def _accepting_device(user: User, token: str):
    for device in devices_accepting(user, token):
        if device.verify_token(token):
            return device
    return None


@transaction.atomic
def verify_second_factor(user: User, token: str, request=None):
    """The device that accepts ``token`` at sign-in (a TOTP code or a recovery code), or None.

    A used recovery code is spent, and the attempt audited, in one transaction.
    """
    device = _accepting_device(user, token)
    if device is None:
        audit(user, None, "login.two_factor_failed", request=request)
    elif isinstance(device, SealedStaticDevice):
        left = device.token_set.count()
        audit(user, None, "login.recovery_code", request=request, codes_left=left)
    else:
        audit(user, None, "login.two_factor", request=request)
    return device


@transaction.atomic
def change_password(form, request=None) -> User:
    """Save a valid password-change form (Django's) and audit it, together."""
    user = form.save()
    audit(user, None, "password.changed", request=request)
    return user


@transaction.atomic
def reset_password(form, request=None) -> User:
    """Save a valid password-reset form (the e-mailed link's last step) and audit it, together."""
    user = form.save()
    audit(user, None, "password.reset", request=request)
    return user


@transaction.atomic
def confirm_identity(user: User, password_ok: bool, token: str | None, request=None) -> str:
    """Re-authentication before an export or a key operation.

    Returns ``""`` when the password is right and (if ``token`` is given) the
    code is valid, else the name of the field that failed. A recovery code is
    spent only if the password was right. Audited as ``reauth`` / ``reauth.failed``.
    """
    failed = ""
    if not password_ok:
        failed = "password"
    elif token is not None and _accepting_device(user, token) is None:
        failed = "token"
    audit(user, None, "reauth.failed" if failed else "reauth", request=request)
    return failed
