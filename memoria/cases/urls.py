from django.urls import path

from memoria.cases import views

app_name = "cases"

case = "o/<slug:slug>/cases/<int:event_id>/"


def part(route: str, view, kind: str, name: str):
    """A route of ``view`` for one kind of part; its one id names the record (or its parent)."""
    return path(case + route, view, {"kind": kind}, name=name)


urlpatterns = [
    path("o/<slug:slug>/cases/", views.case_list, name="list"),
    path("o/<slug:slug>/cases/search/", views.case_search, name="search"),
    path("o/<slug:slug>/cases/new/", views.case_new, name="new"),
    path("o/<slug:slug>/cases/statistics/", views.case_statistics, name="statistics"),
    path(case, views.case_detail, name="case"),
    path(case + "edit/", views.case_edit, name="edit"),
    path(case + "history/", views.case_history, name="history"),
    path(case + "victims/new/", views.victim_new, name="victim_new"),
    path(case + "relatives/new/", views.relative_new, name="relative_new"),
    path(case + "sources/new/", views.source_new, name="source_new"),
    # The other parts of a case: one view to add and one to edit each kind (views.PARTS).
    part("people/<int:person_id>/acts/new/", views.part_new, "act", "act_new"),
    part("acts/<int:act_id>/", views.part_edit, "act", "act_edit"),
    part("acts/<int:act_id>/perpetrators/new/", views.part_new, "perpetrator", "attribution_new"),
    part("perpetrators/<int:attribution_id>/", views.part_edit, "perpetrator", "attribution_edit"),
    part("relatives/<int:relative_id>/", views.part_edit, "relative", "relative_edit"),
    part("sources/<int:source_id>/", views.part_edit, "source", "source_edit"),
    part("interventions/new/", views.part_new, "intervention", "intervention_new"),
    part(
        "interventions/<int:intervention_id>/", views.part_edit, "intervention", "intervention_edit"
    ),
    path(
        case + "sources/<int:source_id>/attachments/new/",
        views.attachment_new,
        name="attachment_new",
    ),
    path(
        case + "attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path(case + "<slug:kind>/<int:record_id>/remove/", views.remove, name="remove"),
    path("o/<slug:slug>/people/", views.person_search, name="people"),
    path("o/<slug:slug>/people/matches/", views.person_matches, name="person_matches"),
    path("o/<slug:slug>/people/<int:person_id>/", views.person_detail, name="person"),
    path(
        "o/<slug:slug>/people/<int:person_id>/history/",
        views.person_history,
        name="person_history",
    ),
    path("o/<slug:slug>/people/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path(
        "o/<slug:slug>/people/<int:person_id>/to-case/",
        views.person_to_case,
        name="person_to_case",
    ),
    path("o/<slug:slug>/vocabularies/", views.vocabularies, name="vocabularies"),
    path(
        "o/<slug:slug>/vocabularies/<slug:vocabulary_code>/new/",
        views.term_new,
        name="term_new",
    ),
    path("o/<slug:slug>/vocabularies/terms/<int:term_id>/", views.term_edit, name="term_edit"),
]
