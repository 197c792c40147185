"""Catalogue look-ups for the cascading place field (public data: the INEGI catalogue)."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import cache_control

from memoria.geo import fold
from memoria.places.models import Municipality, State

SEARCH_LIMIT = 20


@login_required
@cache_control(private=True, max_age=86400)
def state_municipalities(request, code):
    state = get_object_or_404(State, code=code)
    rows = state.municipalities.order_by("name").values_list("cvegeo", "name")
    return JsonResponse({"municipalities": [{"code": c, "name": n} for c, n in rows]})


@login_required
def search_municipalities(request):
    """Municipalities whose name contains the query, accents ignored: 'tlaquepaque' or 'leon'."""
    query = fold(request.GET.get("q", ""))
    if len(query) < 2:
        return JsonResponse({"municipalities": []})
    rows = (
        Municipality.objects.filter(search_name__contains=query)
        .select_related("state")
        .order_by("-population_total")[:SEARCH_LIMIT]
    )
    results = [
        {"code": m.cvegeo, "name": m.name, "state": m.state.name, "state_code": m.state_id}
        for m in rows
    ]
    return JsonResponse({"municipalities": results})
