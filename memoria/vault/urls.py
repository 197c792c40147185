from django.urls import path

from memoria.vault import views

app_name = "vault"

urlpatterns = [
    path("accounts/two-factor/", views.two_factor, name="two_factor"),
    path("accounts/two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("accounts/confirm/", views.reauth, name="reauth"),
]
