"""The one way pages fetch linkage lists, runs and pairs: for a member's organization.

Every helper answers 404 for a record of another organization, so an outsider
learns nothing. The pages themselves ask ``Capability.RUN_ANALYSES`` (analysts
and coordinators).
"""

from __future__ import annotations

from memoria.accounts.access import get_for_organization
from memoria.analysis.models import Estimate, LinkageList, LinkageRun, ReviewPair


def get_list(membership, list_id) -> LinkageList:
    return get_for_organization(LinkageList.objects.all(), membership.organization, pk=list_id)


def get_run(membership, run_id) -> LinkageRun:
    queryset = LinkageRun.objects.select_related("job")
    return get_for_organization(queryset, membership.organization, pk=run_id)


def get_pair(membership, run: LinkageRun, pair_id) -> ReviewPair:
    queryset = ReviewPair.objects.filter(run=run).select_related("run")
    return get_for_organization(queryset, membership.organization, pk=pair_id)


def get_estimate(membership, estimate_id) -> Estimate:
    queryset = Estimate.objects.select_related("job", "run", "reproduces")
    return get_for_organization(queryset, membership.organization, pk=estimate_id)
