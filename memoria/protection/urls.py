from django.urls import path

from memoria.protection import views

app_name = "protection"

base = "o/<slug:slug>/protection/"
person = base + "<int:at_risk_id>/"


def part(route: str, view, kind: str, name: str):
    """A route of ``view`` for one kind of part of a person's record (views.PARTS)."""
    return path(person + route, view, {"kind": kind}, name=name)


urlpatterns = [
    path(base, views.person_list, name="list"),
    path(base + "new/", views.person_new, name="new"),
    path(base + "owed/", views.owed, name="owed"),
    path(
        base + "alerts/<int:alert_id>/acknowledge/",
        views.alert_acknowledge,
        name="alert_acknowledge",
    ),
    path(person, views.person_detail, name="person"),
    path(person + "edit/", views.person_edit, name="edit"),
    part("contacts/new/", views.part_new, "contact", "contact_new"),
    part("contacts/<int:record_id>/", views.part_edit, "contact", "contact_edit"),
    part("assessments/new/", views.part_new, "assessment", "assessment_new"),
    part("assessments/<int:record_id>/edit/", views.part_edit, "assessment", "assessment_edit"),
    part("requests/new/", views.part_new, "request", "request_new"),
    part("requests/<int:record_id>/", views.part_edit, "request", "request_edit"),
    part("measures/new/", views.part_new, "measure", "measure_new"),
    part("measures/<int:record_id>/", views.part_edit, "measure", "measure_edit"),
    path(
        person + "assessments/<int:assessment_id>/",
        views.assessment_detail,
        name="assessment",
    ),
    path(
        person + "assessments/<int:assessment_id>/factors/new/",
        views.factor_new,
        name="factor_new",
    ),
    path(
        person + "assessments/<int:assessment_id>/factors/<int:factor_id>/",
        views.factor_edit,
        name="factor_edit",
    ),
]
