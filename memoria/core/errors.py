"""Error pages: what happened and where to go next, in the reader's language.

Django's own pages are bare and in English. These use the site's base
template (the language selector, the way back to the organization) for the
errors a person can meet while using the platform (400, 403, 404 and a
refused form), and a template of its own for the server error (500), which
must render even when the database or the request's state is what failed.
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)


def _error_page(request, status: int, title: str, explanation: str) -> HttpResponse:
    if not hasattr(request, "user"):  # refused before the sign-in middleware ran (a bad host)
        request.user = AnonymousUser()
    context = {"status": status, "title": title, "explanation": explanation}
    return render(request, "errors/page.html", context, status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    return _error_page(
        request,
        400,
        _("The request could not be understood"),
        _(
            "Your browser sent something the platform could not read. Go back, reload "
            "the page and try again."
        ),
    )


@requires_csrf_token
def permission_denied(request, exception=None):
    return _error_page(
        request,
        403,
        _("Your role does not allow this"),
        _(
            "You are signed in, but your role in the organization does not include this "
            "page. If you need it for your work, ask a coordinator of your organization."
        )
        if request.user.is_authenticated
        else _("Sign in to see this page."),
    )


@requires_csrf_token
def page_not_found(request, exception=None):
    return _error_page(
        request,
        404,
        _("This page does not exist"),
        _(
            "Nothing is at this address: it may have been mistyped, or the record was "
            "removed, or it belongs to an organization you are not a member of."
        ),
    )


@requires_csrf_token
def csrf_failure(request, reason: str = ""):
    """A form refused for a missing or stale security token (settings.CSRF_FAILURE_VIEW)."""
    return _error_page(
        request,
        403,
        _("The form could not be sent"),
        _(
            "The page was open too long, or your browser refused this site's cookies. "
            "Nothing was saved. Go back, reload the page and send the form again."
        ),
    )


def server_error(request):
    """The 500 page: a self-contained template, no database, no context processors."""
    try:
        template = loader.get_template("errors/500.html")
        context = {"LANGUAGE_CODE": translation.get_language() or "es-mx"}
        return HttpResponseServerError(template.render(context))
    except Exception:  # the page that says something failed must not fail itself
        logger.exception("The error page could not be rendered")
        return HttpResponseServerError("Error 500", content_type="text/plain")
