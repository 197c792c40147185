from django.urls import include, path
from django.views.i18n import set_language

from memoria.checkins.api import api as checkins_api

urlpatterns = [
    path("", include("memoria.core.urls")),
    path("", include("memoria.accounts.urls")),
    path("", include("memoria.accounts.audit_urls")),
    path("", include("memoria.places.urls")),
    path("", include("memoria.cases.urls")),
    path("", include("memoria.cases.io_urls")),
    path("", include("memoria.victims.urls")),
    path("", include("memoria.alerts.urls")),
    path("", include("memoria.protection.urls")),
    path("", include("memoria.analysis.urls")),
    path("", include("memoria.analysis.official_urls")),
    path("", include("memoria.network.urls")),
    path("", include("memoria.search.urls")),
    path("", include("memoria.checkins.urls")),
    path("", include("memoria.reports.urls")),
    path("", include("memoria.public.urls")),
    path("", include("memoria.capture.urls")),
    path("api/v1/", checkins_api.urls),
    path("i18n/setlang/", set_language, name="set_language"),
]

# Error pages in the reader's language with a way back (memoria.core.errors).
handler400 = "memoria.core.errors.bad_request"
handler403 = "memoria.core.errors.permission_denied"
handler404 = "memoria.core.errors.page_not_found"
handler500 = "memoria.core.errors.server_error"
