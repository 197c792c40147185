"""The one way member pages fetch a report: the viewer's own organization's, or 404."""

from __future__ import annotations

from django.http import Http404

from memoria.accounts.access import get_for_organization
from memoria.accounts.viewer import Viewer, own_access
from memoria.reports.models import Report


def get_report(viewer: Viewer, report_id, *, write: bool = False) -> Report:
    report = get_for_organization(
        Report.objects.select_related("decided_by", "duplicate_of", "event"),
        viewer.organization,
        pk=report_id,
    )
    access = own_access(viewer)
    if write and not access.write:
        raise Http404("No such report")
    report.access = access
    return report
