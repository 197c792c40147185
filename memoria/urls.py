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
