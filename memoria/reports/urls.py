from django.urls import path

from memoria.reports import views

app_name = "reports"

# Everything under PUBLIC_PREFIX is anonymous: `memoria serve` logs neither the path
# nor the client's address of these requests (memoria.cli.serve).
PUBLIC_PREFIX = "r/"

urlpatterns = [
    # The public side: no sign-in, no cookie, no JavaScript.
    path(PUBLIC_PREFIX + "<slug:slug>/", views.public_form, name="public_form"),
    path(PUBLIC_PREFIX + "<slug:slug>/add/", views.public_add, name="public_add"),
    path(PUBLIC_PREFIX + "<slug:slug>/incidents/", views.public_feed, name="public_feed"),
    # The organization's moderation queue.
    path("o/<slug:slug>/reports/", views.queue, name="queue"),
    path("o/<slug:slug>/reports/form/", views.set_channel, name="channel"),
    path("o/<slug:slug>/reports/<int:report_id>/", views.report_detail, name="detail"),
    path("o/<slug:slug>/reports/<int:report_id>/verify/", views.verify, name="verify"),
    path("o/<slug:slug>/reports/<int:report_id>/duplicate/", views.duplicate, name="duplicate"),
    path("o/<slug:slug>/reports/<int:report_id>/reject/", views.reject, name="reject"),
    path("o/<slug:slug>/reports/<int:report_id>/case/", views.create_case, name="case"),
]
