"""The one way views reach an organization and its records.

Every organization-scoped view goes through ``organization_view``: it finds the
user's membership in the organization named by the URL, answers 404 when there
is none (an outsider learns nothing, not even that the organization exists)
and 403 when the member's role lacks the capability. Records of each kind are
then fetched through the access helpers of each app, which take the viewer
(the ``Membership``) and build on ``get_for_organization``; records another
organization shares are reached only through ``memoria.sharing``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from memoria.accounts.models import Membership, Organization
from memoria.accounts.roles import Capability


def access_membership(request: HttpRequest, slug: str, capability: Capability) -> Membership:
    membership = (
        Membership.objects.select_related("organization", "user")
        .filter(user=request.user, organization__slug=slug)
        .first()
    )
    if membership is None:
        raise Http404("No such organization")
    # Known before the capability check, so a 403 page can lead back to the organization.
    request.organization = membership.organization
    request.membership = membership
    if not membership.can(capability):
        raise PermissionDenied("Your role does not allow this")
    return membership


def organization_view(capability: Capability) -> Callable:
    """Decorate ``view(request, membership, ...)`` reached at ``/o/<slug>/...``."""

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args, **kwargs):
            membership = access_membership(request, slug, capability)
            return view(request, membership, *args, **kwargs)

        wrapper.required_capability = capability
        return wrapper

    return decorator


def get_for_organization(queryset: QuerySet, organization: Organization, **lookup) -> Model:
    """Fetch one record of ``organization`` or answer 404 (never another's)."""
    try:
        return queryset.get(organization=organization, **lookup)
    except (queryset.model.DoesNotExist, ValueError):
        raise Http404("No such record") from None
