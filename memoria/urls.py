from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("", include("memoria.core.urls")),
    path("", include("memoria.accounts.urls")),
    path("", include("memoria.accounts.audit_urls")),
    path("", include("memoria.places.urls")),
    path("", include("memoria.cases.urls")),
    path("", include("memoria.cases.io_urls")),
    path("i18n/setlang/", set_language, name="set_language"),
]

# Error pages in the reader's language with a way back (memoria.core.errors).
handler400 = "memoria.core.errors.bad_request"
handler403 = "memoria.core.errors.permission_denied"
handler404 = "memoria.core.errors.page_not_found"
handler500 = "memoria.core.errors.server_error"
