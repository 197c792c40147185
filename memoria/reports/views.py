"""The public reporting pages and the organization's moderation queue.

Public pages (``/r/<slug>/…``) take no sign-in, set no cookie, load nothing
from another host, need no JavaScript, and never read the client's address
except to count posts (``guard.allow_post``: a keyed hash kept in the cache
for an hour). They answer 404 for an organization that does not receive
reports, as for one that does not exist.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from memoria.accounts.access import organization_view
from memoria.accounts.models import Organization
from memoria.accounts.roles import Capability
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.cases.actions import ConflictError
from memoria.reports import access, actions, feed, guard
from memoria.reports.forms import (
    AddForm,
    ChannelForm,
    DuplicateForm,
    RejectForm,
    ReportForm,
    VerifyForm,
    VersionForm,
)
from memoria.reports.models import Report

QUEUE_DECIDED_SHOWN = 50
FEED_SHOWN = 200

# -- public pages ----------------------------------------------------------------------------


def _private(response):
    """Nothing cached, no referrer sent, not indexed (as the check-in page)."""
    response["Cache-Control"] = "no-store, private"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# ``?lang=en`` or ``?lang=es`` in the address, kept by every link and form of
# these pages; otherwise the installation's language (Spanish). The browser's
# Accept-Language is not read here: Tor Browser announces English to every site
# whatever its user reads, and these pages set no cookie to remember a choice.
PUBLIC_LANGUAGES = {"es": "es-mx", "es-mx": "es-mx", "en": "en"}


def public_language(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        chosen = PUBLIC_LANGUAGES.get(request.GET.get("lang", ""))
        language = chosen or settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language
        request.public_lang_query = f"?lang={request.GET['lang']}" if chosen else ""
        with translation.override(language):
            response = view(request, *args, **kwargs)
        response["Content-Language"] = language
        return response

    return wrapper


def _receiving(slug: str) -> Organization:
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None or not actions.channel_is_open(organization):
        raise Http404("No such form")
    return organization


def _with_new_token(post, organization: Organization):
    """The posted values to show again, with a fresh form token (the old one is spent)."""
    data = post.copy()
    data["form_token"] = guard.new_form_token(organization.pk)
    return data


TOO_MANY = "too_many"
EXPIRED = "expired"


def _refusal(request, organization: Organization) -> str:
    """Why a post is refused before its content is read: too many, or a stale form."""
    if not guard.allow_post(request, organization.pk):
        return TOO_MANY
    if not guard.use_form_token(request.POST.get("form_token", ""), organization.pk):
        return EXPIRED
    return ""


def _refusal_message(refusal: str) -> str:
    if refusal == TOO_MANY:
        return _(
            "Too many reports have been sent from here in the last hour. Please try again later."
        )
    return _(
        "This form was open too long, or was already sent. Nothing was saved: check "
        "what you wrote and send it again."
    )


@csrf_exempt  # no cookie is set on purpose; the signed, single-use form token stands in
@public_language
def public_form(request, slug: str):
    organization = _receiving(slug)
    status, error = 200, ""
    if request.method == "POST":
        refusal = _refusal(request, organization)
        form = ReportForm(_with_new_token(request.POST, organization), organization=organization)
        if refusal:
            status, error = (429 if refusal == TOO_MANY else 400), _refusal_message(refusal)
        elif form.is_valid():
            receipt = actions.receive_report(organization, form.cleaned_data)
            context = {"organization": organization, "code": receipt.code}
            return _private(render(request, "reports/public_receipt.html", context))
        else:
            status = 400
    else:
        form = ReportForm(
            organization=organization,
            initial={"form_token": guard.new_form_token(organization.pk)},
        )
    context = {"organization": organization, "form": form, "error": error}
    return _private(render(request, "reports/public_form.html", context, status=status))


@csrf_exempt  # as public_form
@public_language
def public_add(request, slug: str):
    organization = _receiving(slug)
    status, error, done = 200, "", False
    if request.method == "POST":
        refusal = _refusal(request, organization)
        form = AddForm(_with_new_token(request.POST, organization))
        if refusal:
            status, error = (429 if refusal == TOO_MANY else 400), _refusal_message(refusal)
        elif form.is_valid():
            report = actions.report_for_code(organization, form.cleaned_data["code"])
            if report is None:
                status = 404
                error = _("No report has that receipt code. Check it and try again.")
            else:
                actions.add_to_report(report, form.cleaned_data["text"])
                done = True
                form = AddForm(initial={"form_token": guard.new_form_token(organization.pk)})
        else:
            status = 400
    else:
        form = AddForm(initial={"form_token": guard.new_form_token(organization.pk)})
    context = {"organization": organization, "form": form, "error": error, "done": done}
    return _private(render(request, "reports/public_add.html", context, status=status))


@require_safe
@public_language
def public_feed(request, slug: str):
    organization = _receiving(slug)
    k = feed.threshold(organization)
    items = feed.listed(organization, k)
    context = {
        "organization": organization,
        "incidents": items[:FEED_SHOWN],
        "total": len(items),
        "k": k,
        "any_withheld": any(item.place_withheld for item in items),
        "delay_hours": settings.MEMORIA_REPORTS_PUBLISH_DELAY_HOURS,
    }
    return _private(render(request, "reports/public_feed.html", context))


# -- the moderation queue --------------------------------------------------------------------


def _excerpt(text: str, length: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


@organization_view(Capability.READ_REPORTS)
def queue(request, membership):
    organization = membership.organization
    waiting = list(
        Report.objects.filter(organization=organization, status=Report.Status.NEW).order_by("pk")
    )
    decided = list(
        Report.objects.filter(organization=organization)
        .exclude(status=Report.Status.NEW)
        .select_related("event")
        .order_by("-decided_at", "-pk")[:QUEUE_DECIDED_SHOWN]
    )
    for report in waiting + decided:
        report.excerpt = _excerpt(report.what)
    audit(
        request.user,
        organization,
        AuditAction.REPORT_QUEUE,
        request=request,
        shown=len(waiting) + len(decided),
    )
    context = {
        "organization": organization,
        "waiting": waiting,
        "decided": decided,
        "channel_open": actions.channel_is_open(organization),
        "can_manage": membership.can(Capability.MANAGE_ORGANIZATION),
        "delay_hours": settings.MEMORIA_REPORTS_PUBLISH_DELAY_HOURS,
    }
    return render(request, "reports/queue.html", context)


@organization_view(Capability.MANAGE_ORGANIZATION)
@require_POST
def set_channel(request, membership):
    form = ChannelForm(request.POST)
    form.is_valid()
    is_open = bool(form.cleaned_data.get("is_open"))
    actions.set_channel(membership.organization, request.user, is_open, request=request)
    if is_open:
        messages.success(request, _("The reporting form is open."))
    else:
        messages.success(request, _("The reporting form is closed."))
    return redirect("reports:queue", membership.organization.slug)


@organization_view(Capability.READ_REPORTS)
def report_detail(request, membership, report_id):
    report = access.get_report(membership, report_id)
    audit(request.user, membership.organization, AuditAction.REPORT_VIEW, report, request=request)
    return render(request, "reports/detail.html", _detail_context(report))


def _detail_context(report: Report, **forms) -> dict:
    initial = {"version": report.version}
    return {
        "organization": report.organization,
        "report": report,
        "additions": list(report.additions.all()),
        "duplicates": list(report.duplicates.prefetch_related("additions").order_by("pk")),
        "verify_form": forms.get("verify")
        or VerifyForm(initial={**initial, "public_summary": report.public_summary}),
        "duplicate_form": forms.get("duplicate") or DuplicateForm(initial=initial),
        "reject_form": forms.get("reject") or RejectForm(initial=initial),
        "case_form": VersionForm(initial=initial),
        "can_decide": report.access.write,
    }


def _refused(request, membership, report: Report, message: str):
    """The report's page again, saying why nothing was written (409: it changed, or cannot)."""
    messages.error(request, message)
    report = access.get_report(membership, report.pk)
    return render(request, "reports/detail.html", _detail_context(report), status=409)


STALE = gettext_lazy("Someone decided on this report while you were reading it. Look again.")
NOT_NOW = gettext_lazy("That cannot be done with this report as it is now.")


def _decision(request, membership, report_id, form_class, key: str, decide):
    """Validate one decision's form, run it, and come back to the report."""
    report = access.get_report(membership, report_id, write=True)
    form = form_class(request.POST)
    if not form.is_valid():
        context = _detail_context(report, **{key: form})
        return render(request, "reports/detail.html", context, status=400)
    try:
        decide(report, form.cleaned_data)
    except ConflictError:
        return _refused(request, membership, report, str(STALE))
    except actions.NotAllowed:
        return _refused(request, membership, report, str(NOT_NOW))
    return redirect("reports:detail", membership.organization.slug, report.pk)


@organization_view(Capability.EDIT_RECORDS)
@require_POST
def verify(request, membership, report_id):
    def decide(report, data):
        actions.verify(
            report,
            request.user,
            data["version"],
            public_summary=data["public_summary"],
            request=request,
        )
        messages.success(request, _("The report is verified."))

    return _decision(request, membership, report_id, VerifyForm, "verify", decide)


@organization_view(Capability.EDIT_RECORDS)
@require_POST
def duplicate(request, membership, report_id):
    def decide(report, data):
        original = Report.objects.filter(
            organization=membership.organization, pk=data["original"]
        ).first()
        if original is None:
            raise actions.NotAllowed
        actions.mark_duplicate(report, request.user, data["version"], original, request=request)
        messages.success(request, _("The report is marked as a duplicate."))

    return _decision(request, membership, report_id, DuplicateForm, "duplicate", decide)


@organization_view(Capability.EDIT_RECORDS)
@require_POST
def reject(request, membership, report_id):
    def decide(report, data):
        actions.reject(report, request.user, data["version"], data["reason"], request=request)
        messages.success(request, _("The report is rejected."))

    return _decision(request, membership, report_id, RejectForm, "reject", decide)


@organization_view(Capability.EDIT_RECORDS)
@require_POST
def create_case(request, membership, report_id):
    report = access.get_report(membership, report_id, write=True)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return render(request, "reports/detail.html", _detail_context(report), status=400)
    try:
        event = actions.create_case(
            report, request.user, form.cleaned_data["version"], request=request
        )
    except ConflictError:
        return _refused(request, membership, report, str(STALE))
    except actions.NotAllowed:
        return _refused(
            request,
            membership,
            report,
            _("Only a verified report can become a case, and only once."),
        )
    messages.success(request, _("The case was created from the report."))
    return redirect("cases:case", membership.organization.slug, event.pk)
