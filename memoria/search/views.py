"""Pages of the search for the disappeared: forms validate, actions write, access fetches.

Every page that shows a file, a site or remains is audited (a family's file
names the person, their relatives and where DNA samples are held; a grave's
coordinates are sensitive). Analysts reach none of it: the pages ask for
``Capability.READ_SEARCH``, which their role lacks; writing asks for
``Capability.EDIT_RECORDS``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from memoria.accounts.access import organization_view
from memoria.accounts.roles import Capability
from memoria.audit.labels import AuditAction
from memoria.audit.log import audit
from memoria.cases.actions import ConflictError
from memoria.search import access, actions
from memoria.search.forms import (
    AnteMortemFileForm,
    BrigadeDayForm,
    DentalFindingForm,
    FamilyContactForm,
    MarkForm,
    PhotoForm,
    RecipientConsentForm,
    ReferenceSampleForm,
    RemainsForm,
    SearchForm,
    SearchSiteForm,
)
from memoria.search.models import AnteMortemFile, SearchPhoto, SearchSite

READ = Capability.READ_SEARCH
EDIT = Capability.EDIT_RECORDS


def _url(name: str, record) -> str:
    return reverse(f"search:{name}", args=[record.organization.slug, record.pk])


def _date_key(value: datetime.date | None) -> datetime.date:
    return value or datetime.date.min


def _section(request) -> str:
    """Which of the search's four lists a page belongs to (for the section links)."""
    name = getattr(request.resolver_match, "url_name", "") or ""
    for prefix, section in (
        ("site", "sites"),
        ("brigade", "brigades"),
        ("remains", "remains"),
        ("pm_mark", "remains"),
        ("dental", "remains"),
    ):
        if name.startswith(prefix):
            return section
    return "files"


def _render(request, template: str, context: dict, status: int = 200):
    context = {"section": _section(request), **context}
    if "organization" in context and hasattr(request, "membership"):
        context.setdefault("can_edit", access.search_access(request.membership).write)
    return render(request, template, context, status=status)


def _writable(membership) -> None:
    if not access.search_access(membership).write:
        raise Http404("No such page")


def _form_page(request, membership, *, form, context, save, done_url, message, shows):
    """Show ``form``; on a valid POST call ``save(data)`` (an action) or explain a conflict."""
    context = {"organization": membership.organization, "form": form, **context}
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except ConflictError as conflict:
            data = request.POST.copy()
            data["version"] = conflict.current.version
            form = type(form)(
                data,
                organization=form.organization,
                parent=form.parent,
                instance=form.instance,
            )
            form.is_valid()
            context.update(form=form, conflict=conflict)
            return _render(request, "search/form.html", context, status=409)
        messages.success(request, message)
        return redirect(done_url(saved) if callable(done_url) else done_url)
    if request.method == "GET":
        audit(
            request.user,
            membership.organization,
            shows[0],
            shows[1],
            request=request,
            form=type(form).__name__,
        )
    return _render(request, "search/form.html", context)


# -- ante-mortem files ----------------------------------------------------------------------


@organization_view(READ)
def file_list(request, membership):
    organization = membership.organization
    files = list(
        access.files_of(membership).select_related("person").prefetch_related("marks", "contacts")
    )
    # Names and dates are encrypted: sort here, still searched for first, then by name.
    files.sort(key=lambda f: (f.search_status != "searching", f.person.full_name.lower()))
    audit(request.user, organization, AuditAction.SEARCH_AM_LIST, request=request)
    context = {"organization": organization, "files": files}
    return _render(request, "search/file_list.html", context)


@organization_view(EDIT)
def file_new(request, membership):
    _writable(membership)
    organization = membership.organization
    initial = {}
    if request.method == "GET" and request.GET.get("person", "").isdigit():
        initial["person"] = request.GET["person"]
    form = AnteMortemFileForm(request.POST or None, organization=organization, initial=initial)
    return _form_page(
        request,
        membership,
        form=form,
        context={"title": _("New ante-mortem file")},
        save=lambda data: actions.open_file(data["person"], request.user, data, request=request),
        done_url=lambda file: _url("file", file),
        message=_("The file was opened. Add the marks, the family contacts and the samples."),
        shows=(AuditAction.SEARCH_AM_VIEW, None),
    )


@organization_view(READ)
def file_detail(request, membership, file_id):
    file = access.get_file(membership, file_id)
    audit(request.user, file.organization, AuditAction.SEARCH_AM_VIEW, file, request=request)
    context = {
        "organization": membership.organization,
        "file": file,
        "marks": list(file.marks.all()),
        "contacts": list(file.contacts.all()),
        "samples": list(file.samples.all()),
        "consents": list(file.consents.select_related("recipient")),
        "photos": list(file.photos.defer("content")),
    }
    return _render(request, "search/file_detail.html", context)


@organization_view(EDIT)
def file_edit(request, membership, file_id):
    file = access.get_file(membership, file_id, write=True)
    form = AnteMortemFileForm(
        request.POST or None, organization=membership.organization, instance=file
    )
    return _form_page(
        request,
        membership,
        form=form,
        context={"title": _("Edit the ante-mortem file"), "file": file},
        save=lambda data: actions.update_file(
            file, request.user, data, data["version"], request=request
        ),
        done_url=_url("file", file),
        message=_("Saved."),
        shows=(AuditAction.SEARCH_AM_VIEW, file),
    )


# -- parts of a file or of remains: one view to add and one to edit each kind ----------------


@dataclass(frozen=True)
class Part:
    form: type[SearchForm]
    parent: str  # "file" or "remains"
    new_title: str
    edit_title: str
    added: str


PARTS = {
    "mark": Part(
        MarkForm,
        "file",
        gettext_lazy("New distinguishing mark"),
        gettext_lazy("Edit a distinguishing mark"),
        gettext_lazy("The mark was added."),
    ),
    "contact": Part(
        FamilyContactForm,
        "file",
        gettext_lazy("New family contact"),
        gettext_lazy("Edit a family contact"),
        gettext_lazy("The contact was added."),
    ),
    "sample": Part(
        ReferenceSampleForm,
        "file",
        gettext_lazy("New DNA reference sample"),
        gettext_lazy("Edit a DNA reference sample"),
        gettext_lazy("The sample was recorded."),
    ),
    "consent": Part(
        RecipientConsentForm,
        "file",
        gettext_lazy("New consent to share"),
        gettext_lazy("Edit a consent to share"),
        gettext_lazy("The consent was recorded. It shares nothing by itself."),
    ),
    "pm_mark": Part(
        MarkForm,
        "remains",
        gettext_lazy("New mark seen on the remains"),
        gettext_lazy("Edit a mark seen on the remains"),
        gettext_lazy("The mark was added."),
    ),
    "dental": Part(
        DentalFindingForm,
        "remains",
        gettext_lazy("New dental finding"),
        gettext_lazy("Edit a dental finding"),
        gettext_lazy("The dental finding was added."),
    ),
}


def _part(kind: str) -> Part:
    if kind not in PARTS:
        raise Http404("No such kind of record")
    return PARTS[kind]


def _parent(membership, part: Part, ids: dict, *, write: bool):
    """The file or remains in the URL (``file_id`` or ``remains_id``) the part belongs to."""
    if part.parent == "file" and "file_id" in ids:
        return access.get_file(membership, ids["file_id"], write=write)
    if part.parent == "remains" and "remains_id" in ids:
        return access.get_remains(membership, ids["remains_id"], write=write)
    raise Http404("No such record")


def _parent_url(parent) -> str:
    return _url("file" if isinstance(parent, AnteMortemFile) else "remains", parent)


def _parent_context(parent) -> dict:
    return {"file": parent} if isinstance(parent, AnteMortemFile) else {"remains": parent}


@organization_view(EDIT)
def part_new(request, membership, kind, **ids):
    part = _part(kind)
    parent = _parent(membership, part, ids, write=True)
    form = part.form(request.POST or None, organization=membership.organization, parent=parent)
    return _form_page(
        request,
        membership,
        form=form,
        context={"title": part.new_title, **_parent_context(parent)},
        save=lambda data: actions.add_part(parent, kind, request.user, data, request=request),
        done_url=_parent_url(parent),
        message=str(part.added),
        shows=(_view_action(parent), parent),
    )


@organization_view(EDIT)
def part_edit(request, membership, record_id, kind, **ids):
    part = _part(kind)
    parent = _parent(membership, part, ids, write=True)
    record = access.get_part(parent, kind, record_id, write=True)
    form = part.form(
        request.POST or None,
        organization=membership.organization,
        parent=parent,
        instance=record,
    )
    context = {
        "title": part.edit_title,
        "removable": reverse(
            f"search:{kind}_remove", args=[membership.organization.slug, parent.pk, record.pk]
        ),
        "record": record,
        **_parent_context(parent),
    }
    return _form_page(
        request,
        membership,
        form=form,
        context=context,
        save=lambda data: actions.update_part(
            record, kind, request.user, data, data["version"], request=request
        ),
        done_url=_parent_url(parent),
        message=_("Saved."),
        shows=(_view_action(parent), record),
    )


@organization_view(EDIT)
@require_POST
def part_remove(request, membership, record_id, kind, **ids):
    part = _part(kind)
    parent = _parent(membership, part, ids, write=True)
    record = access.get_part(parent, kind, record_id, write=True)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        actions.remove_part(record, kind, request.user, version, request=request)
    except ConflictError:
        messages.error(
            request, _("Someone changed it meanwhile: look at it again before removing it.")
        )
    else:
        messages.success(request, _("Removed."))
    return redirect(_parent_url(parent))


def _view_action(record) -> AuditAction:
    if isinstance(record, AnteMortemFile):
        return AuditAction.SEARCH_AM_VIEW
    if isinstance(record, SearchSite):
        return AuditAction.SEARCH_SITE_VIEW
    return AuditAction.SEARCH_REMAINS_VIEW


# -- photos -----------------------------------------------------------------------------------


def _photo_new(request, membership, record):
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        actions.add_photo(
            record,
            request.user,
            form.cleaned_data["photo"],
            form.cleaned_data["caption"],
            request=request,
        )
        messages.success(request, _("The photo was added."))
        return redirect(_photo_back(record))
    if request.method == "GET":  # the page names the file's person, the site or the remains
        audit(request.user, membership.organization, _view_action(record), record,
              request=request, form="PhotoForm")  # fmt: skip
    context = {
        "organization": membership.organization,
        "form": form,
        "title": _("Add a photo"),
        "multipart": True,
        **({"site": record} if isinstance(record, SearchSite) else _parent_context(record)),
    }
    return _render(request, "search/form.html", context)


def _photo_back(record) -> str:
    if isinstance(record, SearchSite):
        return _url("site", record)
    return _parent_url(record)


@organization_view(EDIT)
def file_photo_new(request, membership, file_id):
    return _photo_new(request, membership, access.get_file(membership, file_id, write=True))


@organization_view(EDIT)
def site_photo_new(request, membership, site_id):
    return _photo_new(request, membership, access.get_site(membership, site_id, write=True))


@organization_view(EDIT)
def remains_photo_new(request, membership, remains_id):
    return _photo_new(request, membership, access.get_remains(membership, remains_id, write=True))


@organization_view(READ)
def photo(request, membership, photo_id):
    """A photo: shown in the page if it is really a JPEG or PNG, otherwise downloaded."""
    record: SearchPhoto = access.get_photo(membership, photo_id)
    audit(request.user, membership.organization, AuditAction.SEARCH_PHOTO_VIEW, record,
          request=request)  # fmt: skip
    content = bytes(record.content or b"")
    shown = actions.image_type(content)
    response = HttpResponse(content, content_type=shown or "application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(not shown, record.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


# -- graves and search sites -------------------------------------------------------------------


@organization_view(READ)
def site_list(request, membership):
    organization = membership.organization
    sites = sorted(
        access.sites_of(membership), key=lambda s: (_date_key(s.found_on), s.pk), reverse=True
    )
    audit(request.user, organization, AuditAction.SEARCH_SITE_LIST, request=request)
    return _render(request, "search/site_list.html", {"organization": organization, "sites": sites})


@organization_view(EDIT)
def site_new(request, membership):
    _writable(membership)
    organization = membership.organization
    form = SearchSiteForm(request.POST or None, organization=organization)
    return _form_page(
        request,
        membership,
        form=form,
        context={"title": _("New grave or search site")},
        save=lambda data: actions.record_site(organization, request.user, data, request=request),
        done_url=lambda site: _url("site", site),
        message=_("The site was recorded."),
        shows=(AuditAction.SEARCH_SITE_VIEW, None),
    )


@organization_view(READ)
def site_detail(request, membership, site_id):
    site = access.get_site(membership, site_id)
    audit(request.user, site.organization, AuditAction.SEARCH_SITE_VIEW, site, request=request)
    days = sorted(site.brigade_days.all(), key=lambda d: (d.date, d.pk), reverse=True)
    remains = sorted(site.remains.all(), key=lambda r: (_date_key(r.found_on), r.pk))
    context = {
        "organization": membership.organization,
        "site": site,
        "days": days,
        "remains": remains,
        "photos": list(site.photos.defer("content")),
    }
    return _render(request, "search/site_detail.html", context)


@organization_view(EDIT)
def site_edit(request, membership, site_id):
    site = access.get_site(membership, site_id, write=True)
    form = SearchSiteForm(request.POST or None, organization=membership.organization, instance=site)
    return _form_page(
        request,
        membership,
        form=form,
        context={"title": _("Edit the grave or search site"), "site": site},
        save=lambda data: actions.update_site(
            site, request.user, data, data["version"], request=request
        ),
        done_url=_url("site", site),
        message=_("Saved."),
        shows=(AuditAction.SEARCH_SITE_VIEW, site),
    )


# -- the brigade's day log --------------------------------------------------------------------


@organization_view(READ)
def brigade_list(request, membership):
    organization = membership.organization
    days = sorted(
        access.brigade_days_of(membership).select_related("site"),
        key=lambda d: (d.date, d.pk),
        reverse=True,
    )
    audit(request.user, organization, AuditAction.SEARCH_BRIGADE_LIST, request=request)
    return _render(
        request, "search/brigade_list.html", {"organization": organization, "days": days}
    )


@organization_view(EDIT)
def brigade_new(request, membership):
    _writable(membership)
    organization = membership.organization
    site = None
    if request.GET.get("site", "").isdigit():
        site = access.get_site(membership, request.GET["site"])
    form = BrigadeDayForm(request.POST or None, organization=organization, parent=site)
    return _form_page(
        request,
        membership,
        form=form,
        context={"title": _("Today's brigade"), "brigade": True},
        save=lambda data: actions.record_brigade_day(
            organization, request.user, data, request=request
        ),
        done_url=reverse("search:brigades", args=[organization.slug]),
        message=_("The day was recorded."),
        shows=(AuditAction.SEARCH_BRIGADE_LIST, None),
    )


@organization_view(EDIT)
def brigade_edit(request, membership, day_id):
    day = access.get_brigade_day(membership, day_id, write=True)
    form = BrigadeDayForm(request.POST or None, organization=membership.organization, instance=day)
    return _form_page(
        request,
        membership,
        form=form,
        context={"title": _("Edit a brigade day"), "brigade": True},
        save=lambda data: actions.update_brigade_day(
            day, request.user, data, data["version"], request=request
        ),
        done_url=reverse("search:brigades", args=[membership.organization.slug]),
        message=_("Saved."),
        shows=(AuditAction.SEARCH_BRIGADE_LIST, day),
    )


# -- remains ------------------------------------------------------------------------------------


@organization_view(READ)
def remains_list(request, membership):
    organization = membership.organization
    records = sorted(
        access.remains_of(membership).select_related("site"),
        key=lambda r: (_date_key(r.found_on), r.pk),
        reverse=True,
    )
    audit(request.user, organization, AuditAction.SEARCH_REMAINS_LIST, request=request)
    return _render(
        request, "search/remains_list.html", {"organization": organization, "records": records}
    )


@organization_view(EDIT)
def remains_new(request, membership):
    _writable(membership)
    organization = membership.organization
    site = None
    if request.GET.get("site", "").isdigit():
        site = access.get_site(membership, request.GET["site"])
    form = RemainsForm(request.POST or None, organization=organization, parent=site)
    return _form_page(
        request,
        membership,
        form=form,
        context={"title": _("New remains record")},
        save=lambda data: actions.record_remains(organization, request.user, data, request=request),
        done_url=lambda remains: _url("remains", remains),
        message=_("The remains were recorded. Add the marks and dental findings."),
        shows=(AuditAction.SEARCH_REMAINS_VIEW, None),
    )


@organization_view(READ)
def remains_detail(request, membership, remains_id):
    remains = access.get_remains(membership, remains_id)
    audit(
        request.user, remains.organization, AuditAction.SEARCH_REMAINS_VIEW, remains,
        request=request,
    )  # fmt: skip
    context = {
        "organization": membership.organization,
        "remains": remains,
        "marks": list(remains.marks.all()),
        "dental": list(remains.dental_findings.all()),
        "photos": list(remains.photos.defer("content")),
    }
    return _render(request, "search/remains_detail.html", context)


@organization_view(EDIT)
def remains_edit(request, membership, remains_id):
    remains = access.get_remains(membership, remains_id, write=True)
    form = RemainsForm(request.POST or None, organization=membership.organization, instance=remains)
    return _form_page(
        request,
        membership,
        form=form,
        context={"title": _("Edit the remains record"), "remains": remains},
        save=lambda data: actions.update_remains(
            remains, request.user, data, data["version"], request=request
        ),
        done_url=_url("remains", remains),
        message=_("Saved."),
        shows=(AuditAction.SEARCH_REMAINS_VIEW, remains),
    )
