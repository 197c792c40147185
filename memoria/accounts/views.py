from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from memoria.accounts import actions
from memoria.accounts.access import get_for_organization, organization_view
from memoria.accounts.forms import (
    AcceptInvitationForm,
    InvitationForm,
    MembershipRoleForm,
    OrganizationForm,
    PasswordChangeForm,
    SetPasswordForm,
)
from memoria.accounts.models import Invitation, Membership, User, hash_token
from memoria.accounts.roles import Capability, Role
from memoria.accounts.twofactor import recovery_codes_left, totp_device


@login_required
def account(request):
    """The member's own account: password, two-step sign-in, language, organizations."""
    device = totp_device(request.user)
    context = {
        "device": device,
        "recovery_codes_left": recovery_codes_left(request.user) if device else 0,
        "account_memberships": request.user.memberships.select_related("organization"),
        "session_hours": settings.SESSION_COOKIE_AGE // 3600,
    }
    return render(request, "accounts/account.html", context)


@organization_view(Capability.READ_RECORDS)
def dashboard(request, membership):
    organization = membership.organization
    context = {
        "membership": membership,
        "organization": organization,
        "states": organization.states.all(),
        "member_counts": _member_counts(organization),
    }
    return render(request, "accounts/dashboard.html", context)


def _member_counts(organization) -> list[tuple[str, int]]:
    counts = dict(organization.memberships.values_list("role").annotate(n=Count("id")))
    return [(label, counts[value]) for value, label in Role.choices if value in counts]


@organization_view(Capability.MANAGE_MEMBERS)
def members(request, membership):
    organization = membership.organization
    context = {
        "organization": organization,
        "members": organization.memberships.select_related("user").order_by("user__full_name"),
        "invitations": organization.invitations.pending(),
        "form": InvitationForm(organization=organization),
        "roles": Role.choices,
    }
    return render(request, "accounts/members.html", context)


@organization_view(Capability.MANAGE_MEMBERS)
def invite(request, membership):
    organization = membership.organization
    form = InvitationForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        actions.invite_member(
            organization,
            form.cleaned_data["email"],
            form.cleaned_data["role"],
            invited_by=request.user,
            base_url=request.build_absolute_uri("/"),
            request=request,
        )
        messages.success(
            request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
        )
        return redirect("accounts:members", organization.slug)
    return render(request, "accounts/invite.html", {"organization": organization, "form": form})


@organization_view(Capability.MANAGE_MEMBERS)
@require_POST
def revoke_invitation(request, membership, invitation_id):
    invitation = get_for_organization(
        Invitation.objects.pending(), membership.organization, pk=invitation_id
    )
    actions.revoke_invitation(invitation, actor=request.user, request=request)
    messages.success(request, _("Invitation withdrawn."))
    return redirect("accounts:members", membership.organization.slug)


@organization_view(Capability.MANAGE_MEMBERS)
@require_POST
def change_member(request, membership, member_id):
    target = get_for_organization(Membership.objects.all(), membership.organization, pk=member_id)
    try:
        if request.POST.get("action") == "remove":
            actions.remove_member(target, actor=request.user, request=request)
            messages.success(request, _("%(name)s was removed.") % {"name": target.user})
        else:
            form = MembershipRoleForm(request.POST, instance=target)
            if form.is_valid():
                actions.change_role(
                    target, form.cleaned_data["role"], actor=request.user, request=request
                )
                messages.success(request, _("Role updated for %(name)s.") % {"name": target.user})
            else:
                messages.error(request, _("Choose a valid role."))
    except actions.LastCoordinatorError:
        messages.error(request, _("The organization must keep at least one coordinator."))
    return redirect("accounts:members", membership.organization.slug)


@organization_view(Capability.MANAGE_ORGANIZATION)
def organization_settings(request, membership):
    organization = membership.organization
    form = OrganizationForm(request.POST or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        actions.update_organization(organization, changes, actor=request.user, request=request)
        messages.success(request, _("Organization details saved."))
        return redirect("accounts:dashboard", organization.slug)
    context = {"organization": organization, "form": form}
    return render(request, "accounts/organization_settings.html", context)


def accept_invitation(request, token):
    invitation = get_object_or_404(
        Invitation.objects.select_related("organization"), token_hash=hash_token(token)
    )
    if not invitation.is_usable:
        return render(request, "accounts/invitation_unusable.html", status=410)
    if request.user.is_authenticated:
        if request.user.email.lower() != invitation.email.lower():
            return render(
                request, "accounts/invitation_other_account.html", {"invitation": invitation}
            )
        if request.method == "POST":
            actions.accept_invitation(invitation, request.user, request=request)
            return redirect("accounts:dashboard", invitation.organization.slug)
        return render(request, "accounts/accept_invitation.html", {"invitation": invitation})

    if User.objects.filter(email__iexact=invitation.email).exists():
        messages.info(request, _("Sign in with %(email)s to accept.") % {"email": invitation.email})
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        user = actions.create_account_from_invitation(
            invitation, form.cleaned_data["full_name"], form.cleaned_data["password1"]
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("accounts:dashboard", invitation.organization.slug)
    context = {"invitation": invitation, "form": form}
    return render(request, "accounts/accept_invitation.html", context)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The last step of a reset by e-mail, with the new password audited in its transaction."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        actions.reset_password(form, request=self.request)
        # As Django's view does: the link is spent, and no one is signed in.
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return redirect(self.get_success_url())


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page to change one's password, with the change audited in its transaction."""

    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm  # its messages address the member as "tú"
    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form):
        actions.change_password(form, request=self.request)
        update_session_auth_hash(self.request, form.user)
        return redirect(self.get_success_url())
