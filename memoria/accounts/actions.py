"""Write paths for organizations and memberships, each in one transaction."""

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
    User,
    hash_token,
)
from memoria.accounts.roles import Role
from memoria.audit.log import audit


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
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
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
        Membership.objects.select_for_update()
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
