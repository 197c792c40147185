from django.urls import path

from memoria.accounts import audit_views as views

app_name = "audit"

urlpatterns = [
    path("o/<slug:slug>/audit/", views.audit_log, name="log"),
]
