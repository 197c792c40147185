from django.urls import path

from memoria.search import official_views, review_views, views

app_name = "search"

base = "o/<slug:slug>/search/"
file = base + "files/<int:file_id>/"
remains = base + "remains/<int:remains_id>/"


def parts(prefix: str, kind: str, segment: str) -> list:
    """The routes to add, edit and remove one kind of part (views.PARTS)."""
    return [
        path(prefix + f"{segment}/new/", views.part_new, {"kind": kind}, name=f"{kind}_new"),
        path(
            prefix + f"{segment}/<int:record_id>/",
            views.part_edit,
            {"kind": kind},
            name=f"{kind}_edit",
        ),
        path(
            prefix + f"{segment}/<int:record_id>/remove/",
            views.part_remove,
            {"kind": kind},
            name=f"{kind}_remove",
        ),
    ]


urlpatterns = [
    path(base, views.file_list, name="list"),
    path(base + "files/new/", views.file_new, name="file_new"),
    path(file, views.file_detail, name="file"),
    path(file + "edit/", views.file_edit, name="file_edit"),
    path(file + "photos/new/", views.file_photo_new, name="file_photo_new"),
    *parts(file, "mark", "marks"),
    *parts(file, "contact", "contacts"),
    *parts(file, "sample", "samples"),
    *parts(file, "consent", "consents"),
    path(base + "photos/<int:photo_id>/", views.photo, name="photo"),
    path(base + "sites/", views.site_list, name="sites"),
    path(base + "sites/new/", views.site_new, name="site_new"),
    path(base + "sites/<int:site_id>/", views.site_detail, name="site"),
    path(base + "sites/<int:site_id>/edit/", views.site_edit, name="site_edit"),
    path(base + "sites/<int:site_id>/photos/new/", views.site_photo_new, name="site_photo_new"),
    path(base + "brigades/", views.brigade_list, name="brigades"),
    path(base + "brigades/new/", views.brigade_new, name="brigade_new"),
    path(base + "brigades/<int:day_id>/", views.brigade_edit, name="brigade_edit"),
    path(base + "remains/", views.remains_list, name="remains_list"),
    path(base + "remains/new/", views.remains_new, name="remains_new"),
    path(remains, views.remains_detail, name="remains"),
    path(remains + "edit/", views.remains_edit, name="remains_edit"),
    path(remains + "photos/new/", views.remains_photo_new, name="remains_photo_new"),
    *parts(remains, "pm_mark", "marks"),
    path(base + "review/", review_views.review_queue, name="review"),
    path(
        base + "files/<int:file_id>/candidates/",
        review_views.file_candidates,
        name="file_candidates",
    ),
    path(
        base + "remains/<int:remains_id>/candidates/",
        review_views.remains_candidates,
        name="remains_candidates",
    ),
    path(
        base + "candidates/<int:candidate_id>/",
        review_views.candidate_detail,
        name="candidate",
    ),
    *parts(remains, "dental", "dental"),
    path(base + "official/", official_views.official_list, name="official"),
    path(base + "official/import/", official_views.official_import, name="official_import"),
    path(base + "official/columns/", official_views.official_columns, name="official_columns"),
    path(base + "official/jobs/<int:job_id>/", official_views.official_job, name="official_job"),
    path(base + "official/absent/", official_views.registry_absent, name="registry_absent"),
    path(base + "official/reverse/", official_views.registry_reverse, name="registry_reverse"),
    path(base + "official/run/", official_views.registry_run, name="registry_run"),
    path(base + "official/decide/", official_views.registry_decide, name="registry_decide"),
]
