"""Who an urgent alert can go to: contacts that other apps offer, through a registry.

The alerts app sits below the feature apps (protection, check-ins), so it
does not import them: an app that keeps contacts registers a source in its
``AppConfig.ready()``::

    register_contact_source("protection", support_circle_contacts)

where ``support_circle_contacts(organization)`` returns ``Contact`` rows
(decrypted in the owning organization, never shared). An urgent alert
reaches a contact over the organization's first enabled channel of a kind the
contact accepts (e-mail, SMS, Signal), in that order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Contact:
    key: str  # stable and unique across sources: "<source>:<id>"
    label: str  # the name the coordinator knows them by
    group: str = ""  # e.g. whose support circle
    email: str = ""
    phone: str = ""
    signal: str = ""

    def address_for(self, kind: str) -> str:
        return {"email": self.email, "sms": self.phone, "signal": self.signal}.get(kind, "")


ContactSource = Callable[[object], list[Contact]]
CONTACT_SOURCES: dict[str, ContactSource] = {}


def register_contact_source(name: str, source: ContactSource) -> None:
    CONTACT_SOURCES[name] = source


def contacts_for(organization) -> list[Contact]:
    """Every contact the registered sources offer for ``organization``."""
    contacts: list[Contact] = []
    for source in CONTACT_SOURCES.values():
        contacts.extend(source(organization))
    return contacts
