from django.urls import path

from memoria.cases import views

app_name = "cases"

case = "o/<slug:slug>/cases/<int:event_id>/"

urlpatterns = [
    path("o/<slug:slug>/cases/", views.case_list, name="list"),
    path("o/<slug:slug>/cases/new/", views.case_new, name="new"),
    path("o/<slug:slug>/cases/statistics/", views.case_statistics, name="statistics"),
    path(case, views.case_detail, name="case"),
    path(case + "edit/", views.case_edit, name="edit"),
    path(case + "history/", views.case_history, name="history"),
    path(case + "victims/new/", views.victim_new, name="victim_new"),
    path(case + "relatives/new/", views.relative_new, name="relative_new"),
    path(case + "relatives/<int:relative_id>/", views.relative_edit, name="relative_edit"),
    path(case + "people/<int:person_id>/acts/new/", views.act_new, name="act_new"),
    path(case + "acts/<int:act_id>/", views.act_edit, name="act_edit"),
    path(
        case + "acts/<int:act_id>/perpetrators/new/", views.attribution_new, name="attribution_new"
    ),
    path(
        case + "perpetrators/<int:attribution_id>/",
        views.attribution_edit,
        name="attribution_edit",
    ),
    path(case + "sources/new/", views.source_new, name="source_new"),
    path(case + "sources/<int:source_id>/", views.source_edit, name="source_edit"),
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
    path(case + "interventions/new/", views.intervention_new, name="intervention_new"),
    path(
        case + "interventions/<int:intervention_id>/",
        views.intervention_edit,
        name="intervention_edit",
    ),
    path(case + "<slug:kind>/<int:record_id>/remove/", views.remove, name="remove"),
    path("o/<slug:slug>/people/", views.person_search, name="people"),
    path("o/<slug:slug>/people/<int:person_id>/", views.person_detail, name="person"),
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
