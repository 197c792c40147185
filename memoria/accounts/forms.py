from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from memoria.accounts.models import Membership, Organization, User
from memoria.accounts.roles import Role


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.READER)

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if Membership.objects.filter(organization=self.organization, user__email=email).exists():
            raise forms.ValidationError(_("This person is already a member."))
        return email


class AcceptInvitationForm(forms.Form):
    """For someone without an account: their name and a password."""

    full_name = forms.CharField(label=_("Full name"), max_length=200)
    password1 = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            user = User(email=self.email, full_name=data.get("full_name", ""))
            try:
                password_validation.validate_password(p1, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class LoginForm(auth_forms.AuthenticationForm):
    """The password step of sign-in, with its messages in "tú" (Django's Spanish says "usted")."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": _(
            "Please check your e-mail address and password: one of them is not right. "
            "Capital letters count in the password."
        ),
    }


class _NewPasswordMessages:
    """The new-password fields of Django's forms, with their messages in "tú"."""

    error_messages = {
        **auth_forms.SetPasswordForm.error_messages,
        "password_mismatch": _("The two passwords differ."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password2"].help_text = _("Type the same new password again.")


class SetPasswordForm(_NewPasswordMessages, auth_forms.SetPasswordForm):
    """A new password after a reset link."""


class PasswordChangeForm(_NewPasswordMessages, auth_forms.PasswordChangeForm):
    error_messages = {
        **_NewPasswordMessages.error_messages,
        "password_incorrect": _("Your current password is not right. Type it again."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Current password")


class MembershipRoleForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role"]


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "kind", "states", "description", "contact_email", "contact_phone"]
        widgets = {"states": forms.CheckboxSelectMultiple}


class CodeForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=_("The six digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].replace(" ", "").replace("-", "").lower()


class EnrolForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].replace(" ", "")


class ReauthForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        required=False,
        help_text=_("The six digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].replace(" ", "").replace("-", "").lower()
