from django.urls import path

from memoria.audit import views

app_name = "audit"

urlpatterns = [
    path("o/<slug:slug>/audit/", views.audit_log, name="log"),
]
