from django.urls import path

from memoria.analysis import views

app_name = "analysis"

base = "o/<slug:slug>/linkage/"

urlpatterns = [
    path(base, views.linkage, name="linkage"),
    path(base + "lists/new/", views.list_upload, name="list_upload"),
    path(base + "lists/<int:list_id>/columns/", views.list_columns, name="list_columns"),
    path(base + "lists/<int:list_id>/delete/", views.list_delete, name="list_delete"),
    path(base + "runs/<int:run_id>/", views.run, name="run"),
    path(base + "runs/<int:run_id>/again/", views.run_again, name="run_again"),
    path(base + "runs/<int:run_id>/queue/", views.queue, name="queue"),
    path(base + "runs/<int:run_id>/pairs/<int:pair_id>/", views.pair, name="pair"),
    path(base + "runs/<int:run_id>/histories.csv", views.histories, name="histories"),
    path(base + "runs/<int:run_id>/estimates/", views.estimates, name="estimates"),
    path(base + "estimates/<int:estimate_id>/", views.estimate, name="estimate"),
    path(
        base + "estimates/<int:estimate_id>/report/", views.estimate_report, name="estimate_report"
    ),
]
