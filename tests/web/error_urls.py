"""The site's URLs plus one page that fails, to see the server-error page."""

from django.urls import path

from memoria.urls import *  # noqa: F403 - the error handlers too
from memoria.urls import urlpatterns as site_urlpatterns


def fail(request):
    raise RuntimeError("a failure the visitor must not see")


urlpatterns = [*site_urlpatterns, path("fail/", fail)]
