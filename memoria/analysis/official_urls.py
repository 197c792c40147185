from django.urls import path

from memoria.analysis import official_views as views

app_name = "official_figures"

base = "o/<slug:slug>/official-figures/"

urlpatterns = [
    path(base, views.datasets, name="list"),
    path(base + "new/", views.upload, name="upload"),
    path(base + "<int:dataset_id>/", views.compare, name="compare"),
    path(base + "<int:dataset_id>/columns/", views.columns, name="columns"),
    path(base + "<int:dataset_id>/delete/", views.delete, name="delete"),
]
