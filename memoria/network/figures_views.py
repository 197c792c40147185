"""The network figures page: the organization's own figures plus its partners' shared counts.

Every member who reads records (``read_records``) reads it; another
organization's member gets 404. Reading a partner's counts is audited on both
sides, as on an aggregate agreement's page (``share.viewed`` in the partner's
log, ``share.read`` in ours, with the agreement's id).
"""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import render

from memoria.accounts.access import organization_view
from memoria.accounts.roles import Capability
from memoria.network import figures
from memoria.network.forms import NetworkFiguresForm
from memoria.sharing.actions import audit_shared_read


@organization_view(Capability.READ_RECORDS)
def network_figures(request, membership):
    organization = membership.organization
    # The years on offer are those any part of the figures has; a year not on offer
    # (or a hostile value) is ignored: every year is shown.
    sources, partners = figures.collect(organization)
    form = NetworkFiguresForm(request.GET or None, years=figures.years(sources))
    year = form.cleaned_data.get("year") if form.is_bound and form.is_valid() else None
    found = figures.summarize(sources, partners, year)
    # Both sides' entries land together or not at all (the page is then not shown).
    with transaction.atomic():
        for _source, stored in found["partners"]:
            agreement = stored.agreement
            audit_shared_read(
                request.user, agreement.organization, organization, stored,
                request=request, agreements=[agreement.pk], figures=True,
            )  # fmt: skip
    context = {"organization": organization, "form": form, **found}
    return render(request, "network/figures.html", context)
