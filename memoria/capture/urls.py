from django.urls import path

from memoria.capture import views

app_name = "capture"

# The service worker lives in the page's folder: its scope is that folder and nothing else.
urlpatterns = [
    path("o/<slug:slug>/capture/", views.capture_page, name="page"),
    path("o/<slug:slug>/capture/sw.js", views.service_worker, name="worker"),
    path("o/<slug:slug>/capture/token/", views.token, name="token"),
    path("o/<slug:slug>/capture/send/", views.send, name="send"),
]
