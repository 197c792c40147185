"""The one way alerts pages fetch their records: within the viewer's organization, or 404."""

from __future__ import annotations

from memoria.accounts.access import get_for_organization
from memoria.alerts.models import AlertTemplate, Channel, UrgentAlert


def get_channel(viewer, channel_id) -> Channel:
    return get_for_organization(Channel.objects.all(), viewer.organization, pk=channel_id)


def get_template(viewer, template_id) -> AlertTemplate:
    return get_for_organization(AlertTemplate.objects.all(), viewer.organization, pk=template_id)


def get_alert(viewer, alert_id) -> UrgentAlert:
    return get_for_organization(UrgentAlert.objects.all(), viewer.organization, pk=alert_id)
