"""The one way network pages fetch profiles and referrals: for a viewer, or 404.

Profiles are the network's directory: any member of any organization of the
installation reads all of them; only the organization's own coordinators
change theirs. A referral is reached by the two organizations it joins, and
by nobody else: ``get_referral`` answers 404 to a third organization, even
with a real id, and says which side the viewer is on (``referral.side``) and
what they may do with it (``referral.can``). Sharing agreements are the same:
``get_agreement`` answers 404 to any organization but the two it joins.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from memoria.accounts.models import Organization
from memoria.accounts.roles import Capability
from memoria.accounts.viewer import Viewer
from memoria.cases.models import Event
from memoria.exchange import actions as exchange
from memoria.exchange.models import RemoteAgreement
from memoria.network.models import OPEN, OrganizationProfile, Referral, Status
from memoria.sharing import agreements, rules
from memoria.sharing.models import Agreement, AgreementStatus

SENT, RECEIVED = "sent", "received"


@dataclass(frozen=True)
class ReferralAccess:
    answer: bool  # accept or decline (the recipient, while it is sent)
    progress: bool  # mark in progress (the recipient, once accepted)
    close: bool  # either side, while it is open
    follow_up: bool  # set the viewer's side's follow-up date


def _int(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404("No such record") from None
    if not 0 < number < 2**63:
        raise Http404("No such record")
    return number


def profile_of(organization: Organization) -> OrganizationProfile:
    """The organization's profile; an empty one (unsaved) if it has none yet."""
    profile = OrganizationProfile.objects.filter(organization=organization).first()
    if profile is None:
        profile = OrganizationProfile(organization=organization)
    return profile


def get_partner(slug: str) -> Organization:
    """Any organization of the installation, by its short name (the directory's page)."""
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise Http404("No such organization")
    return organization


def recipients_for(viewer: Viewer) -> QuerySet[Organization]:
    """Organizations the viewer's may refer to: every other one that accepts referrals."""
    return Organization.objects.exclude(pk=viewer.organization_id).exclude(
        network_profile__accepts_referrals=False
    )


def referrals_of(viewer: Viewer) -> QuerySet[Referral]:
    """Referrals the viewer's organization sent or received."""
    organization = viewer.organization
    # Not the referred case or person: those are the sender's rows, fetched only for the
    # sender (``case_numbers``); the recipient reads the shared copies.
    return Referral.objects.filter(
        Q(organization=organization) | Q(recipient=organization)
    ).select_related("organization", "recipient", "receipt")


def case_numbers(viewer: Viewer, referrals) -> dict[int, int]:
    """The case numbers of the viewer's organization's referred cases (clear, not identifying)."""
    ids = {r.event_id for r in referrals if r.organization_id == viewer.organization_id}
    ids.discard(None)
    return dict(
        Event.objects.filter(organization=viewer.organization, pk__in=ids).values_list(
            "pk", "number"
        )
    )


def get_referral(viewer: Viewer, referral_id) -> Referral:
    referral = referrals_of(viewer).filter(pk=_int(referral_id)).first()
    if referral is None:
        raise Http404("No such record")
    referral.side = SENT if referral.organization_id == viewer.organization_id else RECEIVED
    edit = viewer.can(Capability.EDIT_RECORDS)
    received = referral.side == RECEIVED
    referral.can = ReferralAccess(
        answer=edit and received and referral.status == Status.SENT,
        progress=edit and received and referral.status == Status.ACCEPTED,
        close=edit and referral.status in OPEN,
        follow_up=edit and referral.status in OPEN,
    )
    return referral


# -- sharing agreements -------------------------------------------------------------------

OURS, WITH_US = "ours", "with_us"


@dataclass(frozen=True)
class AgreementAccess:
    answer: bool  # accept or decline (the partner's coordinators, while proposed)
    revoke: bool  # either side's coordinators while in force; the owner's while proposed


def agreements_of(viewer: Viewer) -> QuerySet[Agreement]:
    """Agreements the viewer's organization gives or receives."""
    organization = viewer.organization
    return Agreement.objects.filter(
        Q(organization=organization) | Q(partner=organization)
    ).select_related("organization", "partner")


def get_agreement(viewer: Viewer, agreement_id) -> Agreement:
    """One of the viewer's organization's agreements (404 to a third organization).

    An agreement whose last day has passed is ended first (``agreements.expire``),
    so no page shows it as in force.
    """
    found = agreements_of(viewer).filter(pk=_int(agreement_id))
    agreement = found.first()
    if agreement is None:
        raise Http404("No such record")
    if agreement.status == AgreementStatus.ACTIVE and not rules.is_in_force(agreement):
        agreements.expire(agreement)
        agreement = found.get()
    agreement.side = OURS if agreement.organization_id == viewer.organization_id else WITH_US
    manage = viewer.can(Capability.MANAGE_ORGANIZATION)
    status = agreement.status
    agreement.can = AgreementAccess(
        answer=manage and agreement.side == WITH_US and status == AgreementStatus.PROPOSED,
        revoke=manage
        and (
            status == AgreementStatus.ACTIVE
            or (status == AgreementStatus.PROPOSED and agreement.side == OURS)
        ),
    )
    return agreement


def remote_agreements_of(viewer: Viewer):
    """The organization's agreements with organizations of other installations."""
    return RemoteAgreement.objects.filter(organization=viewer.organization).select_related(
        "partner"
    )


def get_remote_agreement(viewer: Viewer, agreement_id):
    """One of them (404 to another organization); one whose last day has passed is ended first."""
    found = remote_agreements_of(viewer).filter(pk=_int(agreement_id))
    agreement = found.first()
    if agreement is None:
        raise Http404("No such record")
    if exchange.expire(agreement):
        agreement = found.get()
    return agreement
