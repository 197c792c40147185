"""The public site (``/p/<slug>/``, no sign-in) and its settings page in the members' area.

Public pages are rendered without the request (no session, no cookie, no
members' menu), kept in the Django cache per language under the publication's
generation, and sent with ``Cache-Control: public`` (``public_page``). They read
only the publication's stored, suppressed figures, and the memorial.
"""

from __future__ import annotations

import csv
import io
import json
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from memoria.accounts.access import organization_view
from memoria.accounts.roles import Capability
from memoria.public import actions, datasets, figures, incidents, memorial
from memoria.public.forms import PublicationForm
from memoria.public.models import Publication
from memoria.reports import actions as reports_actions

PAGE_MAX_AGE = 300  # seconds browsers and proxies may keep a figures page
MEMORIAL_MAX_AGE = 60  # shorter: a withdrawn consent must not linger in a proxy
SERVER_CACHE_SECONDS = 3600  # the generation changes on every relevant write anyway


def published(slug: str) -> Publication:
    publication = (
        Publication.objects.select_related("organization")
        .filter(organization__slug=slug, published=True)
        .first()
    )
    if publication is None:
        raise Http404("Nothing published here")
    return publication


# ``?lang=es`` or ``?lang=en`` in a public address; otherwise the language the
# middleware chose (the visitor's cookie or browser).
LANGUAGES = {"es": "es-mx", "es-mx": "es-mx", "en": "en"}


def _language(request) -> str:
    chosen = LANGUAGES.get(request.GET.get("lang", ""))
    if chosen:
        return chosen
    return "en" if (translation.get_language() or "").startswith("en") else "es-mx"


def public_page(max_age: int):
    """Serve ``view(request, publication, ...)`` from the cache, keyed by organization,
    generation, language and path (other query parameters are ignored)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, slug: str, *args, **kwargs):
            publication = published(slug)
            language = _language(request)
            key = (
                f"public:{publication.organization_id}:{publication.generation}:"
                f"{language}:{request.path}"
            )
            stored = cache.get(key)
            if stored is None:
                with translation.override(language):
                    made = view(request, publication, *args, **kwargs)
                stored = (made.content, made["Content-Type"], made.get("Content-Disposition"))
                cache.set(key, stored, SERVER_CACHE_SECONDS)
            content, content_type, disposition = stored
            response = HttpResponse(content, content_type=content_type)
            if disposition:
                response["Content-Disposition"] = disposition
            response["Cache-Control"] = f"public, max-age={max_age}"
            response["Content-Language"] = language
            response.public_cache = True  # memoria.core.middleware.PrivatePagesMiddleware
            return response

        return wrapper

    return decorator


def _render(publication: Publication, template: str, context: dict) -> HttpResponse:
    language = translation.get_language()
    short = "en" if language.startswith("en") else "es"
    other = "es" if short == "en" else "en"
    context = {
        "publication": publication,
        "organization": publication.organization,
        "shows_demo_data": publication.organization.is_demo,
        "lang": language,
        "lang_query": f"?lang={short}",
        "other_language": other,
        "other_language_name": "English" if other == "en" else "Español",
        "has_memorial": publication.memorial,
        "has_data": bool(publication.sections),
        "has_incidents": reports_actions.channel_is_open(publication.organization),
        **context,
    }
    return HttpResponse(render_to_string(template, context))


@public_page(PAGE_MAX_AGE)
def home(request, publication: Publication):
    found = publication.figures
    context = {
        **figures.page(found),
        "sections": found.get("sections", []),
        "period": figures.period_text(found),
        "built_at": figures.built_at(found),
        "page": "home",
    }
    return _render(publication, "public/home.html", context)


@public_page(PAGE_MAX_AGE)
def data(request, publication: Publication):
    context = {
        "datasets": datasets.available(publication.figures),
        "k": publication.figures.get("k"),
        "period": figures.period_text(publication.figures),
        "built_at": figures.built_at(publication.figures),
        "page": "data",
    }
    return _render(publication, "public/data.html", context)


@public_page(PAGE_MAX_AGE)
def download(request, publication: Publication, dataset: str, fmt: str):
    found = {d.slug: d for d in datasets.available(publication.figures)}
    if dataset not in found:
        raise Http404("No such dataset")
    chosen = found[dataset]
    rows = chosen.rows(publication.figures)
    name = f"{publication.organization.slug}-{chosen.slug}"
    if fmt == "json":
        body = json.dumps(
            {
                "dataset": chosen.slug,
                "title": str(chosen.title),
                "organization": publication.organization.name,
                "period": figures.period_text(publication.figures),
                "built_at": publication.figures.get("built_at"),
                "threshold": publication.figures.get("k"),
                "licence": publication.licence_text,
                "columns": [c.name for c in chosen.columns],
                "rows": rows,
            },
            ensure_ascii=False,
            indent=1,
        )
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return response
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in chosen.columns])
    if fmt == "hxl":
        writer.writerow([c.hxl for c in chosen.columns])
    for row in rows:
        writer.writerow(["" if row[c.name] is None else row[c.name] for c in chosen.columns])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    suffix = ".hxl.csv" if fmt == "hxl" else ".csv"
    response["Content-Disposition"] = f'attachment; filename="{name}{suffix}"'
    return response


@public_page(MEMORIAL_MAX_AGE)
def memorial_page(request, publication: Publication):
    if not publication.memorial:
        raise Http404("No memorial")
    context = {"entries": memorial.entries(publication.organization), "page": "memorial"}
    return _render(publication, "public/memorial.html", context)


INCIDENTS_MAX_AGE = 300  # the incidents are published hours after verification anyway


def incidents_page(request, slug: str):
    """The map of verified incidents (anonymous reports), live, not kept in the server's
    cache: the publication delay passes without any write to raise the generation."""
    publication = published(slug)
    if not reports_actions.channel_is_open(publication.organization):
        raise Http404("No reports received here")
    language = _language(request)
    with translation.override(language):
        found = incidents.incident_figures(publication.organization, publication.threshold)
        context = {
            **found,
            "page": "incidents",
            "delay_hours": settings.MEMORIA_REPORTS_PUBLISH_DELAY_HOURS,
        }
        response = _render(publication, "public/incidents.html", context)
    response["Cache-Control"] = f"public, max-age={INCIDENTS_MAX_AGE}"
    response["Content-Language"] = language
    response.public_cache = True  # memoria.core.middleware.PrivatePagesMiddleware
    return response


# -- the members' settings page ------------------------------------------------------------


@organization_view(Capability.MANAGE_ORGANIZATION)
def publication_settings(request, membership):
    organization = membership.organization
    # Not created by looking: the first save creates it (in the audited action).
    publication = Publication.objects.filter(organization=organization).first() or Publication(
        organization=organization
    )
    form = PublicationForm(request.POST or None, instance=publication)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.save_publication(
                organization, request.user, data, data["version"], request=request
            )
        except actions.ConflictError:
            messages.error(
                request,
                _("Someone else saved these settings meanwhile. Here they are now; try again."),
            )
            return redirect("public:settings", organization.slug)
        if data["published"]:
            messages.success(request, _("Published. The public site shows today's figures."))
        else:
            messages.success(request, _("Saved. Nothing is public."))
        return redirect("public:settings", organization.slug)
    if request.method == "POST":
        status = 400
    context = {"organization": organization, "form": form, "publication": publication}
    return render(request, "public/settings.html", context, status=status)
