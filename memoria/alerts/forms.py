"""Forms of the alerts pages: a channel's settings, a test message, templates, an urgent alert."""

from __future__ import annotations

import secrets

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from memoria.alerts import addresses
from memoria.alerts.models import AlertTemplate, Channel


def http_url(value: str) -> None:
    if value and not value.startswith(("http://", "https://")):
        raise ValidationError(_("Enter an address that starts with http:// or https://."))
    try:
        addresses.check_url(value)
    except addresses.RefusedAddress as refused:
        raise ValidationError(str(refused)) from None


def url_field(label, help_text="", required=True):
    return forms.CharField(
        label=label, max_length=500, required=required, validators=[http_url], help_text=help_text
    )


def phone_field(label, help_text="", required=False):
    return forms.RegexField(
        label=label,
        regex=r"^\+?[0-9 ()-]{6,20}$",
        required=required,
        help_text=help_text,
        error_messages={
            "invalid": _("Enter a phone number in international form, like +52 55 1234 5678.")
        },
    )


def settings_fields(kind: str, editing: bool) -> dict[str, forms.Field]:
    """The settings fields of a channel of ``kind``; secrets are never shown back."""
    keep = _("Leave empty to keep the one saved.") if editing else ""
    if kind == Channel.Kind.EMAIL:
        return {
            "address": forms.EmailField(
                label=_("Default recipient"), required=False,
                help_text=_("Used when a message names no one, such as the test message."),
            ),
            "from_address": forms.EmailField(label=_("Sender address"), required=False),
            "smtp_host": forms.CharField(
                label=_("Mail server"), max_length=200, required=False,
                help_text=_("Leave empty to use the platform's mail settings."),
            ),
            "smtp_port": forms.IntegerField(
                label=_("Port"), required=False, min_value=1, max_value=65535
            ),
            "smtp_security": forms.ChoiceField(
                label=_("Encryption"),
                required=False,
                choices=[
                    ("starttls", _("STARTTLS")),
                    ("ssl", _("TLS from the start")),
                    ("", _("None (only on a private network)")),
                ],
            ),
            "smtp_user": forms.CharField(label=_("User"), max_length=200, required=False),
            "smtp_password": forms.CharField(
                label=_("Password"), max_length=200, required=False, help_text=keep,
                widget=forms.PasswordInput(render_value=False),
            ),
        }  # fmt: skip
    if kind == Channel.Kind.WEBHOOK:
        return {
            "url": url_field(_("Receiver's address (URL)")),
            "secret": forms.CharField(
                label=_("Shared secret"),
                max_length=200,
                min_length=16,
                required=False,
                widget=forms.PasswordInput(render_value=False),
                help_text=keep
                or _("Leave empty and Memoria will make one (shown on the channel's page)."),
            ),
        }
    if kind == Channel.Kind.SMS:
        return {
            "gateway_url": url_field(_("Gateway address (URL)")),
            "token": forms.CharField(
                label=_("Gateway token"), max_length=500, required=not editing, help_text=keep,
                widget=forms.PasswordInput(render_value=False),
            ),
            "address": phone_field(
                _("Default phone number"), _("Used when a message names no one.")
            ),
        }  # fmt: skip
    return {
        "signal_url": url_field(
            _("signal-cli REST API address (URL)"),
            _("Memoria posts to its /v2/send endpoint."),
        ),
        "sender": phone_field(_("Sending number"), _("The number registered in signal-cli."), True),
        "address": phone_field(
            _("Default recipient number"), _("Used when a message names no one.")
        ),
    }


class ChannelForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    enabled = forms.BooleanField(
        label=_("Enabled"), required=False, initial=True,
        help_text=_("Messages for a disabled channel wait until it is enabled again."),
    )  # fmt: skip

    def __init__(self, *args, kind: str, channel: Channel | None = None, **kwargs):
        if channel is not None:
            initial = {"name": channel.name, "enabled": channel.enabled, "version": channel.version}
            initial.update(
                {
                    k: v
                    for k, v in (channel.config or {}).items()
                    if k not in {"secret", "token", "smtp_password"}
                }
            )
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        if channel is not None:  # an edit carries the version it started from
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
        self.kind = kind
        self.setting_names = list(settings_fields(kind, channel is not None))
        self.fields.update(settings_fields(kind, channel is not None))
        self.creating = channel is None

    def clean(self):
        data = super().clean()
        if data.get("smtp_host"):
            try:
                addresses.check_host(data["smtp_host"], data.get("smtp_port") or 25)
            except addresses.RefusedAddress as refused:
                self.add_error("smtp_host", str(refused))
        if self.kind == Channel.Kind.WEBHOOK and self.creating and not data.get("secret"):
            data["secret"] = secrets.token_urlsafe(32)
        return data

    def action_data(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "kind": self.kind,
            "enabled": data["enabled"],
            "config": {name: data.get(name) for name in self.setting_names},
        }


class TestMessageForm(forms.Form):
    recipient = forms.CharField(
        label=_("Send the test to"),
        max_length=254,
        required=False,
        help_text=_("An e-mail address or phone number; empty: the channel's default recipient."),
    )


class TemplateForm(forms.ModelForm):
    class Meta:
        model = AlertTemplate
        fields = ["name", "language", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # an edit carries the version it started from
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class UrgentAlertForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 12}))
    organizations = forms.MultipleChoiceField(
        label=_("Organizations of the network"), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Reached at their contact e-mail address, through the e-mail channel below."),
    )  # fmt: skip
    organization_channel = forms.ChoiceField(
        label=_("E-mail channel for the organizations"), required=False
    )
    channels = forms.MultipleChoiceField(
        label=_("Our channels"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Each goes to the channel's own recipient (a group address, a webhook)."),
    )  # fmt: skip
    contacts = forms.MultipleChoiceField(
        label=_("Contacts"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Support circles: each is reached by e-mail, SMS or Signal, the first the "
            "organization has a channel for."
        ),
    )

    def __init__(self, *args, organizations, channels, contacts, **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = {str(o.pk): o for o in organizations}
        self.channels = {str(c.pk): c for c in channels}
        self.contacts = {c.key: c for c in contacts}
        self.fields["organizations"].choices = [(k, o.name) for k, o in self.organizations.items()]
        email_channels = [c for c in channels if c.kind == Channel.Kind.EMAIL]
        self.fields["organization_channel"].choices = [("", "—")] + [
            (str(c.pk), c.name) for c in email_channels
        ]
        if email_channels:
            self.fields["organization_channel"].initial = str(email_channels[0].pk)
        self.fields["channels"].choices = [
            (k, f"{c.name} ({c.get_kind_display()})") for k, c in self.channels.items()
        ]
        self.fields["contacts"].choices = [
            (c.key, f"{c.label} — {c.group}" if c.group else c.label) for c in contacts
        ]

    def clean(self):
        data = super().clean()
        if not (data.get("organizations") or data.get("channels") or data.get("contacts")):
            raise ValidationError(_("Choose at least one recipient."))
        if data.get("organizations") and not data.get("organization_channel"):
            self.add_error(
                "organization_channel", _("Choose the e-mail channel that reaches organizations.")
            )
        return data
