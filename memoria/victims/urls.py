from django.urls import path

from memoria.victims import views

app_name = "victims"

base = "o/<slug:slug>/victims/"


def kind(route: str, view, name: str, kind: str):
    return path(base + route, view, {"kind": kind}, name=name)


urlpatterns = [
    path(base, views.victim_list, name="list"),
    path(base + "owed/", views.owed, name="owed"),
    path(base + "figures/", views.figures_page, name="figures"),
    path(base + "figures.csv", views.figures_csv, name="figures_csv"),
    path(base + "people/<int:person_id>/", views.victim_detail, name="person"),
    path(base + "people/<int:person_id>/timeline/", views.family_timeline, name="timeline"),
    # Records of a victim's path: one view to add and one to edit each kind (views.KINDS).
    kind(
        "people/<int:person_id>/registrations/new/",
        views.record_new,
        "registration_new",
        "registration",
    ),
    kind("registrations/<int:record_id>/", views.record_edit, "registration_edit", "registration"),
    kind("people/<int:person_id>/requests/new/", views.record_new, "request_new", "request"),
    kind("requests/<int:record_id>/", views.record_edit, "request_edit", "request"),
    kind("requests/<int:request_id>/measures/new/", views.record_new, "measure_new", "measure"),
    kind("measures/<int:record_id>/", views.record_edit, "measure_edit", "measure"),
    kind("people/<int:person_id>/appeals/new/", views.record_new, "appeal_new", "appeal"),
    kind("appeals/<int:record_id>/", views.record_edit, "appeal_edit", "appeal"),
    kind(
        "registrations/<int:record_id>/documents/new/",
        views.document_new,
        "registration_document_new",
        "registration",
    ),
    kind(
        "requests/<int:record_id>/documents/new/",
        views.document_new,
        "request_document_new",
        "request",
    ),
    path(base + "documents/<int:document_id>/", views.document_download, name="document"),
]
