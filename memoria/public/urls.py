from django.urls import path

from memoria.public import views

app_name = "public"

base = "p/<slug:slug>/"

urlpatterns = [
    path(base, views.home, name="home"),
    path(base + "data/", views.data, name="data"),
    path(base + "data/<slug:dataset>.csv", views.download, {"fmt": "csv"}, name="csv"),
    path(base + "data/<slug:dataset>.hxl.csv", views.download, {"fmt": "hxl"}, name="hxl"),
    path(base + "data/<slug:dataset>.json", views.download, {"fmt": "json"}, name="json"),
    path(base + "memorial/", views.memorial_page, name="memorial"),
    path(base + "incidents/", views.incidents_page, name="incidents"),
    path("o/<slug:slug>/public/", views.publication_settings, name="settings"),
]
