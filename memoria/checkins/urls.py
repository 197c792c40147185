from django.urls import path

from memoria.checkins import views

app_name = "checkins"

urlpatterns = [
    # The person's secret link: no sign-in, the token is the credential.
    path("c/<str:token>/", views.checkin_page, name="page"),
    path("accounts/api-tokens/", views.api_tokens, name="api_tokens"),
    path(
        "accounts/api-tokens/<int:token_id>/revoke/",
        views.revoke_api_token,
        name="revoke_api_token",
    ),
    path("o/<slug:slug>/checkins/", views.watch_list, name="list"),
    path("o/<slug:slug>/checkins/<int:person_id>/", views.watch_detail, name="watch"),
    path("o/<slug:slug>/checkins/<int:person_id>/link/", views.issue_link, name="issue_link"),
    path("o/<slug:slug>/checkins/<int:person_id>/codes/", views.set_codes, name="set_codes"),
    path("o/<slug:slug>/checkins/<int:person_id>/resolve/", views.resolve, name="resolve"),
]
