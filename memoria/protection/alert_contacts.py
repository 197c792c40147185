"""The support circles as recipients of urgent alerts (``memoria.alerts.recipients``)."""

from __future__ import annotations

from memoria.alerts.recipients import Contact
from memoria.protection.models import PersonAtRisk, SupportContact


def support_circle_contacts(organization) -> list[Contact]:
    """Every active support contact of the organization's active people at risk."""
    contacts = SupportContact.objects.filter(
        organization=organization,
        is_active=True,
        person__status=PersonAtRisk.Status.ACTIVE,
    ).select_related("person")
    found = []
    for contact in contacts:
        accepted = contact.channels
        found.append(
            Contact(
                key=f"protection:{contact.pk}",
                label=contact.name,
                group=contact.person.display_name,
                email=contact.email if "email" in accepted else "",
                phone=contact.phone if "sms" in accepted else "",
                signal=contact.signal_number if "signal" in accepted else "",
            )
        )
    return found
