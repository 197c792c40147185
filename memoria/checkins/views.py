"""The secret check-in page, the organization's check-in pages and the API tokens page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from memoria.accounts.access import get_for_organization, organization_view
from memoria.accounts.roles import Capability
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.checkins import actions, ladder
from memoria.checkins.models import ApiToken, Watch
from memoria.protection.models import PersonAtRisk

# -- the secret link ------------------------------------------------------------------------


def _private(response):
    """Nothing cached, no referrer sent, not indexed: the page leaves as little as it can."""
    response["Cache-Control"] = "no-store, private"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


class PersonForm(forms.Form):
    act = forms.ChoiceField(choices=[(act, act) for act in actions.PERSON_ACTS])
    code = forms.CharField(required=False, max_length=64, strip=True)
    until = forms.DateField(required=False)
    location = forms.CharField(required=False, max_length=actions.LOCATION_LENGTH, strip=True)


@csrf_exempt  # the secret in the path is the credential; no cookie is left on the phone
def checkin_page(request, token: str):
    """Check in, cancel, pause or ask for help. Shows no name and no organization."""
    watch = actions.watch_for_token(token)
    if watch is None:
        raise Http404("No such link")
    now = timezone.now()
    context = {"asks_code": bool(watch.code_hash), "outcome": None, "error": ""}
    status = 200
    if request.method == "POST":
        form = PersonForm(request.POST)
        if not form.is_valid():
            context["error"] = _("Something in the form was not right. Try again.")
            status = 400
        else:
            data = form.cleaned_data
            until = None
            if data["until"]:
                zone = watch.schedule().time_zone
                until = dt.datetime.combine(
                    data["until"], dt.time(9, 0), tzinfo=ZoneInfo(zone)
                ).astimezone(dt.UTC)
            try:
                context["outcome"] = actions.person_acts(
                    watch,
                    data["act"],
                    code=data["code"],
                    until=until,
                    location=data["location"],
                    via="link",
                    now=now,
                    request=request,
                )
            except actions.WrongCode:
                context["error"] = _("That code is not right.")
                status = 403
            except actions.Refused:
                context["error"] = {
                    actions.CANCEL: _("There is no alarm to cancel now."),
                    actions.PAUSE: _("Choose an end date in the next 60 days."),
                }.get(data["act"], _("That cannot be done now."))
                status = 409
    watch.refresh_from_db()
    # Only a missed check-in's alarm shows here: never a duress or a danger one.
    context["can_cancel"] = ladder.in_cancel_window(watch.state(), watch.schedule(), now)
    context["time_zone"] = watch.schedule().time_zone
    response = render(request, "checkins/checkin.html", context, status=status)
    return _private(response)


# -- organization pages ---------------------------------------------------------------------


def _person(membership, person_id: int) -> PersonAtRisk:
    return get_for_organization(PersonAtRisk.objects.all(), membership.organization, pk=person_id)


@organization_view(Capability.READ_PROTECTION)
def watch_list(request, membership):
    organization = membership.organization
    people = list(
        PersonAtRisk.objects.filter(organization=organization, status="active").order_by("pk")
    )
    watches = {w.person_id: w for w in Watch.objects.filter(organization=organization)}
    rows = [(person, watches.get(person.pk)) for person in people]
    audit(
        request.user,
        organization,
        AuditAction.CHECKIN_LIST,
        request=request,
        shown=len(rows),
    )
    return render(
        request,
        "checkins/watch_list.html",
        {"organization": organization, "rows": rows, "membership": membership},
    )


class ScheduleForm(forms.Form):
    every_hours = forms.IntegerField(
        label=gettext_lazy("Every (hours)"), required=False, min_value=1, max_value=168
    )
    times = forms.CharField(
        label=gettext_lazy("Or at set times"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Times of day in the person's time zone, e.g. 08:00 20:00."),
    )
    grace_minutes = forms.IntegerField(
        label=gettext_lazy("Grace period (minutes)"), min_value=0, max_value=24 * 60, initial=15
    )
    cancel_minutes = forms.IntegerField(
        label=gettext_lazy("Cancel window (minutes)"),
        min_value=0,
        max_value=24 * 60,
        initial=10,
        help_text=gettext_lazy(
            "After a missed check-in, the person can cancel the alarm this long before "
            "their contacts are told."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # Changing a schedule says which version it started from: a form without it
        # would save over a change made meanwhile.
        self.fields["version"].required = editing

    def clean(self):
        data = super().clean()
        times = (data.get("times") or "").split()
        try:
            for value in times:
                ladder.parse_time(value)
                if ladder.parse_time(value) > dt.time(23, 59):
                    raise ValueError
        except ValueError:
            self.add_error("times", _("Write times as HH:MM, separated by spaces."))
            return data
        if bool(times) == bool(data.get("every_hours")):
            raise forms.ValidationError(_("Give either a number of hours or set times, not both."))
        return data


class CodesForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Check-in code"), min_length=4, max_length=64)
    duress_code = forms.CharField(
        label=gettext_lazy("Duress code"),
        min_length=4,
        max_length=64,
        help_text=gettext_lazy(
            "Entered instead of the check-in code, it answers exactly like a check-in and "
            "alerts the ladder silently."
        ),
    )

    def clean(self):
        data = super().clean()
        if data.get("code") and data.get("code", "").strip() == data.get("duress_code", "").strip():
            raise forms.ValidationError(_("The two codes must differ."))
        return data


@organization_view(Capability.EDIT_RECORDS)
def watch_detail(request, membership, person_id: int):
    person = _person(membership, person_id)
    watch = Watch.objects.filter(person=person).first()
    initial = {"every_hours": 24, "grace_minutes": 15, "cancel_minutes": 10}
    if watch:
        initial = {
            "every_hours": watch.every_hours,
            "times": watch.times,
            "grace_minutes": watch.grace_minutes,
            "cancel_minutes": watch.cancel_minutes,
            "version": watch.version,
        }
    form = ScheduleForm(request.POST or None, initial=initial, editing=watch is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.set_schedule(
                request.user,
                person,
                every_hours=data["every_hours"],
                times=(data["times"] or "").split(),
                grace_minutes=data["grace_minutes"],
                cancel_minutes=data["cancel_minutes"],
                version=data["version"] if watch else None,
                request=request,
            )
        except actions.ConflictError:
            # Saving again saves over the current version, after the member has looked.
            form.data = form.data.copy()
            form.data["version"] = Watch.objects.get(pk=watch.pk).version
            form.add_error(
                None, _("Someone changed this schedule meanwhile. Check it and save again.")
            )
        except ValueError:
            form.add_error(None, _("That is not a schedule."))
        else:
            messages.success(request, _("Schedule saved."))
            return redirect("checkins:watch", membership.organization.slug, person.pk)
    audit(request.user, membership.organization, AuditAction.CHECKIN_VIEW, person, request=request)
    context = {
        "organization": membership.organization,
        "person": person,
        "watch": watch,
        "form": form,
        "codes_form": CodesForm(),
        "steps": watch.steps() if watch else [],
        "link": request.session.pop("checkin_link", None),
    }
    return render(request, "checkins/watch_detail.html", context)


@organization_view(Capability.EDIT_RECORDS)
@require_POST
def issue_link(request, membership, person_id: int):
    person = _person(membership, person_id)
    watch = Watch.objects.filter(person=person).first()
    if watch is None:
        raise Http404("No schedule yet")
    token = actions.issue_link(request.user, watch, request=request)
    # Shown once on the next page, then gone: only its hash is kept.
    request.session["checkin_link"] = request.build_absolute_uri(f"/c/{token}/")
    return redirect("checkins:watch", membership.organization.slug, person.pk)


@organization_view(Capability.EDIT_RECORDS)
@require_POST
def set_codes(request, membership, person_id: int):
    person = _person(membership, person_id)
    watch = Watch.objects.filter(person=person).first()
    if watch is None:
        raise Http404("No schedule yet")
    form = CodesForm(request.POST)
    if form.is_valid():
        actions.set_codes(
            request.user,
            watch,
            code=form.cleaned_data["code"],
            duress_code=form.cleaned_data["duress_code"],
            request=request,
        )
        messages.success(request, _("Codes saved."))
    else:
        messages.error(
            request, _("The codes were not saved: use 4 to 64 characters, two different codes.")
        )
    return redirect("checkins:watch", membership.organization.slug, person.pk)


@organization_view(Capability.EDIT_RECORDS)
@require_POST
def resolve(request, membership, person_id: int):
    person = _person(membership, person_id)
    watch = Watch.objects.filter(person=person).first()
    if watch is None:
        raise Http404("No schedule yet")
    actions.resolve(request.user, watch, request=request)
    messages.success(request, _("The escalation is closed; check-ins go on."))
    return redirect("checkins:watch", membership.organization.slug, person.pk)


# -- API tokens (the member's own) ----------------------------------------------------------


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("What it is for"), max_length=80)


@login_required
def api_tokens(request):
    form = TokenForm(request.POST or None)
    new = None
    if request.method == "POST" and form.is_valid():
        _row, new = actions.create_api_token(
            request.user, form.cleaned_data["name"], request=request
        )
        form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user, revoked_at__isnull=True)
    response = render(
        request, "checkins/api_tokens.html", {"form": form, "tokens": tokens, "new_token": new}
    )
    return _private(response)


@require_POST
@login_required
def revoke_api_token(request, token_id: int):
    if actions.revoke_api_token(request.user, token_id, request=request):
        messages.success(request, _("The token no longer works."))
    return redirect("checkins:api_tokens")
