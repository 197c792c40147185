from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render


@login_required
def home(request):
    """Straight to the dashboard for a member of one organization; a list otherwise."""
    memberships = list(request.user.memberships.select_related("organization"))
    if len(memberships) == 1:
        return redirect("accounts:dashboard", memberships[0].organization.slug)
    return render(request, "core/home.html", {"memberships": memberships})


def healthz(request):
    """For load balancers and monitoring: the process answers and the database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
