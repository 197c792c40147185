"""Pages of the alerts app: channels (coordinators), urgent alerts, the acknowledgement link."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from memoria.accounts.access import organization_view
from memoria.accounts.models import Organization
from memoria.accounts.roles import Capability
from memoria.alerts import access, actions
from memoria.alerts.forms import ChannelForm, TemplateForm, TestMessageForm, UrgentAlertForm
from memoria.alerts.models import (
    AlertRecipient,
    AlertTemplate,
    Channel,
    DeliveryAttempt,
    UrgentAlert,
)
from memoria.alerts.recipients import contacts_for
from memoria.alerts.templates_builtin import builtin_templates
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit

LOG_SIZE = 50

# -- channels -------------------------------------------------------------------------------


@organization_view(Capability.MANAGE_ORGANIZATION)
def channel_list(request, membership):
    organization = membership.organization
    channels = Channel.objects.filter(organization=organization)
    context = {"organization": organization, "channels": channels, "kinds": Channel.Kind.choices}
    return render(request, "alerts/channel_list.html", context)


def _kind(kind: str) -> str:
    if kind not in Channel.Kind.values:
        raise Http404("No such kind of channel")
    return kind


@organization_view(Capability.MANAGE_ORGANIZATION)
def channel_new(request, membership, kind):
    organization = membership.organization
    form = ChannelForm(request.POST or None, kind=_kind(kind))
    if request.method == "POST" and form.is_valid():
        channel = actions.save_channel(
            organization, form.action_data(), actor=request.user, request=request
        )
        messages.success(request, _("Channel added. Send a test message to check it works."))
        return redirect("alerts:channel", organization.slug, channel.pk)
    context = {
        "organization": organization,
        "form": form,
        "kind_label": Channel.Kind(kind).label,
    }
    return render(request, "alerts/channel_new.html", context)


@organization_view(Capability.MANAGE_ORGANIZATION)
def channel_edit(request, membership, channel_id):
    organization = membership.organization
    channel = access.get_channel(membership, channel_id)
    form = ChannelForm(request.POST or None, kind=channel.kind, channel=channel)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_channel(
                organization,
                form.action_data(),
                channel=channel,
                version=form.cleaned_data.get("version"),
                actor=request.user,
                request=request,
            )
        except actions.ConflictError:
            messages.error(
                request,
                _("Someone else changed this channel meanwhile. Here it is as now saved."),
            )
            status = 409
            form = ChannelForm(
                kind=channel.kind, channel=access.get_channel(membership, channel_id)
            )
        else:
            messages.success(request, _("Channel saved."))
            return redirect("alerts:channel", organization.slug, channel.pk)
    context = {
        "organization": organization,
        "channel": channel,
        "form": form,
        "test_form": TestMessageForm(),
        "log": DeliveryAttempt.objects.filter(channel=channel)
        .select_related("delivery")
        .order_by("-started_at", "-pk")[:LOG_SIZE],
        "pending": channel.deliveries.filter(status__in=["queued", "sending"]).count(),
    }
    return render(request, "alerts/channel.html", context, status=status)


@organization_view(Capability.MANAGE_ORGANIZATION)
@require_POST
def channel_test(request, membership, channel_id):
    organization = membership.organization
    channel = access.get_channel(membership, channel_id)
    form = TestMessageForm(request.POST)
    if form.is_valid():
        recipient = form.cleaned_data["recipient"].strip()
        if not recipient and not channel.setting("address") and channel.kind != "webhook":
            messages.error(
                request, _("Say where to send the test: this channel has no default recipient.")
            )
        else:
            actions.send_test(channel, recipient, actor=request.user, request=request)
            messages.success(
                request,
                _(
                    "Test message queued. Its result appears in the delivery log below "
                    "in a few seconds."
                ),
            )
    return redirect("alerts:channel", organization.slug, channel.pk)


# -- templates ------------------------------------------------------------------------------


@organization_view(Capability.MANAGE_ORGANIZATION)
def template_list(request, membership):
    organization = membership.organization
    context = {
        "organization": organization,
        "templates": AlertTemplate.objects.filter(organization=organization),
        "builtin": builtin_templates(),
    }
    return render(request, "alerts/template_list.html", context)


@organization_view(Capability.MANAGE_ORGANIZATION)
def template_new(request, membership):
    organization = membership.organization
    initial = {
        "language": request.LANGUAGE_CODE if request.LANGUAGE_CODE in ("es-mx", "en") else "es-mx"
    }
    builtin = {t.key: t for t in builtin_templates()}.get(request.GET.get("from", ""))
    if builtin is not None:
        initial.update(name=builtin.name, subject=builtin.subject, body=builtin.body)
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actions.save_template(organization, form.cleaned_data, actor=request.user, request=request)
        messages.success(request, _("Template saved."))
        return redirect("alerts:templates", organization.slug)
    return render(
        request, "alerts/template_form.html", {"organization": organization, "form": form}
    )


@organization_view(Capability.MANAGE_ORGANIZATION)
def template_edit(request, membership, template_id):
    organization = membership.organization
    template = access.get_template(membership, template_id)
    form = TemplateForm(
        request.POST or None, instance=template, initial={"version": template.version}
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_template(
                organization,
                form.cleaned_data,
                template=template,
                version=form.cleaned_data.get("version"),
                actor=request.user,
                request=request,
            )
        except actions.ConflictError:
            template = access.get_template(membership, template_id)
            messages.error(
                request, _("Someone else changed this template meanwhile. Here it is as now saved.")
            )
            form = TemplateForm(instance=template, initial={"version": template.version})
            status = 409
        else:
            messages.success(request, _("Template saved."))
            return redirect("alerts:templates", organization.slug)
    context = {"organization": organization, "form": form, "template": template}
    return render(request, "alerts/template_form.html", context, status=status)


# -- urgent alerts --------------------------------------------------------------------------


@organization_view(Capability.READ_PROTECTION)
def alert_list(request, membership):
    organization = membership.organization
    alerts = UrgentAlert.objects.filter(organization=organization).annotate(
        total=Count("recipients"),
        acknowledged=Count("recipients", filter=Q(recipients__acknowledged_at__isnull=False)),
        delivered=Count("recipients", filter=Q(recipients__delivery__status="sent")),
        failed=Count("recipients", filter=Q(recipients__delivery__status="failed")),
    )[:100]
    context = {
        "organization": organization,
        "alerts": alerts,
        "can_send": membership.can(Capability.MANAGE_ORGANIZATION),
    }
    return render(request, "alerts/alert_list.html", context)


def _network(organization) -> list[Organization]:
    return list(Organization.objects.exclude(pk=organization.pk).exclude(contact_email=""))


def _targets(form: UrgentAlertForm) -> list[actions.Target]:
    data = form.cleaned_data
    targets = []
    if data["organizations"]:
        channel = form.channels.get(data["organization_channel"])
        for key in data["organizations"]:
            org = form.organizations[key]
            targets.append(
                actions.Target(
                    AlertRecipient.Kind.ORGANIZATION, org.name, channel, org.contact_email, org
                )
            )
    for key in data["channels"]:
        channel = form.channels[key]
        targets.append(actions.Target(AlertRecipient.Kind.CHANNEL, channel.name, channel))
    channels = list(form.channels.values())
    for key in data["contacts"]:
        contact = form.contacts[key]
        reach = actions.reaching_channel(channels, contact)
        if reach is None:
            form.add_error(
                "contacts",
                _("No channel of ours reaches %(name)s: add an e-mail, SMS or Signal channel.")
                % {"name": contact.label},
            )
            continue
        targets.append(actions.Target(AlertRecipient.Kind.CONTACT, contact.label, *reach))
    return targets


@organization_view(Capability.MANAGE_ORGANIZATION)
def alert_new(request, membership):
    organization = membership.organization
    channels = list(Channel.objects.filter(organization=organization, enabled=True))
    initial = {}
    chosen = request.GET.get("template", "")
    templates = list(AlertTemplate.objects.filter(organization=organization))
    for template in templates:
        if chosen == str(template.pk):
            initial = {"subject": template.subject, "body": template.body}
    for builtin in builtin_templates():
        if chosen == builtin.key:
            initial = {"subject": builtin.subject, "body": builtin.body}
    form = UrgentAlertForm(
        request.POST or None,
        initial=initial,
        organizations=_network(organization),
        channels=channels,
        contacts=contacts_for(organization),
    )
    if request.method == "POST" and form.is_valid():
        targets = _targets(form)
        if form.is_valid():
            alert = actions.send_urgent_alert(
                organization,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                targets=targets,
                base_url=request.build_absolute_uri("/"),
                actor=request.user,
                request=request,
            )
            messages.success(
                request, _("The alert is on its way. This page follows each recipient.")
            )
            return redirect("alerts:alert", organization.slug, alert.pk)
    context = {
        "organization": organization,
        "form": form,
        "templates": templates,
        "builtin": builtin_templates(),
        "has_channels": bool(channels),
    }
    return render(request, "alerts/alert_new.html", context)


@organization_view(Capability.READ_PROTECTION)
def alert_detail(request, membership, urgent_alert_id):
    organization = membership.organization
    alert = access.get_alert(membership, urgent_alert_id)
    recipients = list(alert.recipients.select_related("delivery", "delivery__channel"))
    audit(request.user, organization, AuditAction.URGENT_ALERT_VIEW, alert, request=request)
    context = {
        "organization": organization,
        "alert": alert,
        "recipients": recipients,
        "acknowledged": sum(1 for r in recipients if r.acknowledged_at),
        "delivered": sum(1 for r in recipients if r.delivery and r.delivery.status == "sent"),
        "failed": sum(1 for r in recipients if r.delivery and r.delivery.status == "failed"),
    }
    return render(request, "alerts/alert.html", context)


@never_cache
def acknowledge(request, token):
    """The personal link in an urgent alert: a button that says "received" (a POST, so a
    mail program opening links by itself acknowledges nothing)."""
    recipient = actions.recipient_for_token(token)
    if recipient is None:
        raise Http404("No such alert")
    done = recipient.acknowledged_at is not None
    if request.method == "POST":
        actions.acknowledge(recipient, request=request)
        done = True
    context = {"recipient": recipient, "sender": recipient.organization, "done": done}
    return render(request, "alerts/acknowledge.html", context)
