"""The organization's audit log page (an organization page, so it lives with accounts)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from memoria.accounts.access import organization_view
from memoria.accounts.roles import Capability
from memoria.audit.labels import AuditAction, action_label, target_label, target_names
from memoria.audit.log import audit, seal_pending
from memoria.audit.models import AuditEntry

PAGE_SIZE = 50


@organization_view(Capability.VIEW_HISTORY)
def audit_log(request, membership):
    """The organization's audit entries, newest first."""
    organization = membership.organization
    # The page names the people its entries point to: that is a read of identities too.
    audit(request.user, organization, AuditAction.AUDIT_VIEW, request=request)
    seal_pending()  # so the newest entries are listed, in their place in the chain
    entries = AuditEntry.objects.filter(organization=organization).order_by("-seq")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    identities = membership.can(Capability.READ_RECORDS)
    names = target_names(organization, page.object_list, identities=identities)
    for entry in page:
        entry.label = action_label(entry.action)
        entry.target_label = target_label(entry.target_type)
        entry.target_name = names.get((entry.target_type, entry.target_id), "")
    context = {"organization": organization, "page": page}
    return render(request, "audit/log.html", context)
